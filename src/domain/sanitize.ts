/**
 * Removes credentials from text before it leaves Glimpse (PR comments, deployment statuses, logs shown
 * to users). Over-redacting is acceptable; leaking is not. Text leaves through a `Redactor`, which runs this.
 */
export const REDACTED = '[REDACTED]';

const patterns: ReadonlyArray<readonly [RegExp, string]> = [
  // PEM private keys, including a block cut off before its END line.
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*$)/g,
    `${REDACTED} private key`,
  ],
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation (ghs_), refresh (ghr_).
  [/\bgh[pousr]_[A-Za-z0-9]{16,}\b/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{16,}/g, REDACTED],
  // user:password@ in URLs (covers https://x-access-token:<token>@github.com/...).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@:]+:[^\s/?#@]+@/gi, `$1${REDACTED}@`],
  [/\bx-access-token:[^\s@]+@/gi, `x-access-token:${REDACTED}@`],
  // Authorization header values.
  [/\b(authorization\s*[:=]\s*["']?)(?:bearer|token|basic)?\s*[^\s"',]+/gi, `$1${REDACTED}`],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // "token <value>" where the value looks like a credential (long, with a digit), not an English word.
  [/\b(token)\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{20,}/gi, `$1 ${REDACTED}`],
];

/** Removes credential-looking patterns; `createRedactor` also removes the values of Glimpse's own secrets. */
export function sanitize(text: string): string {
  let result = text;
  for (const [pattern, replacement] of patterns) {
    result = result.replace(pattern, replacement);
  }
  return result;
}
