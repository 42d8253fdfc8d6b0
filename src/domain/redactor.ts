import { REDACTED, sanitize } from './sanitize.ts';

/** Removes every secret Glimpse holds from text about to leave it, then credential-looking patterns. */
export interface Redactor {
  redact(text: string): string;
  /** Adds a secret made after the redactor, such as the one-time admin token of a first start. */
  remember(secret: string): void;
}

/** Shortest secret value that is redacted whole; shorter values would shred normal text. */
const MIN_SECRET_LENGTH = 4;

/**
 * Length of the pieces of a secret that are redacted wherever they appear on their own: a line of a
 * private key, a value cut off by a truncated line, a secret printed in two halves.
 */
export const FRAGMENT_LENGTH = 16;

/**
 * Builds the redactor for these secret values. A secret is redacted whole (also trimmed and JSON-escaped),
 * and every run of text of `FRAGMENT_LENGTH` or more characters that also appears in a secret is redacted
 * too, so a multi-line secret printed line by line, or cut off, leaves nothing of itself either.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  let whole: string[] = [];
  const fragments = new Set<string>();
  const remember = (secret: string): void => {
    const variants = [secret, secret.trim(), JSON.stringify(secret).slice(1, -1)].filter(
      (value) => value.length >= MIN_SECRET_LENGTH,
    );
    whole = [...new Set([...whole, ...variants])].sort((a, b) => b.length - a.length);
    for (const value of variants) {
      for (let i = 0; i + FRAGMENT_LENGTH <= value.length; i++) {
        const window = value.slice(i, i + FRAGMENT_LENGTH);
        // A window across a line break never matches one line of output; the lines' own windows do.
        if (!window.includes('\n')) fragments.add(window);
      }
    }
  };
  for (const secret of secrets) if (secret !== undefined) remember(secret);
  return {
    redact(text) {
      let result = text;
      for (const value of whole) result = result.split(value).join(REDACTED);
      if (fragments.size > 0) result = redactFragments(result, fragments);
      return sanitize(result);
    },
    remember,
  };
}

/** Replaces each run of text covered by windows found in `fragments` with one REDACTED. */
function redactFragments(text: string, fragments: ReadonlySet<string>): string {
  let out = '';
  let copied = 0;
  let coveredUntil = -1;
  let runStart = -1;
  for (let i = 0; i + FRAGMENT_LENGTH <= text.length; i++) {
    if (!fragments.has(text.slice(i, i + FRAGMENT_LENGTH))) continue;
    if (i > coveredUntil) {
      if (runStart >= 0) {
        out += text.slice(copied, runStart) + REDACTED;
        copied = coveredUntil;
      }
      runStart = i;
    }
    coveredUntil = i + FRAGMENT_LENGTH;
  }
  if (runStart < 0) return text;
  return `${out}${text.slice(copied, runStart)}${REDACTED}${text.slice(coveredUntil)}`;
}
