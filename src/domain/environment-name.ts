import { createHash } from 'node:crypto';

const MAX_DNS_LABEL = 63;
const HASH_LENGTH = 6;

/**
 * The environment's name, `pr-<repo>-<number>`: a DNS-1123 label (Kubernetes namespace, preview host name).
 * The repo part is lowercased, anything outside [a-z0-9-] becomes "-", repeats collapse and ends are trimmed.
 * A name that would pass 63 characters keeps a shortened repo part plus a hash of the full repo name, so two
 * long names never collide. A later `attempt` gives another name for a PR whose name another repo already uses
 * (the same name under another owner, or a name that happens to equal another's hashed form): attempt 1 is
 * the hashed form, and each attempt after it hashes the full name with the attempt number.
 */
export function environmentName(
  repoFullName: string,
  prNumber: number,
  options: { attempt?: number } = {},
): string {
  const attempt = options.attempt ?? 0;
  const repo = repoFullName.split('/').pop() ?? repoFullName;
  const slug = slugify(repo) || 'repo';
  const suffix = `-${prNumber}`;
  const whole = `pr-${slug}${suffix}`;
  if (whole.length <= MAX_DNS_LABEL && attempt === 0) return whole;
  const hashed = attempt <= 1 ? repoFullName.toLowerCase() : `${repoFullName.toLowerCase()}#${attempt}`;
  const hash = createHash('sha256').update(hashed).digest('hex').slice(0, HASH_LENGTH);
  const room = MAX_DNS_LABEL - 'pr-'.length - suffix.length - HASH_LENGTH - 1;
  const shortened = slug.slice(0, room).replace(/-+$/, '');
  return `pr-${shortened}-${hash}${suffix}`;
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The names to try, in order, for a PR's environment until one is free (each distinct). */
export function environmentNameCandidates(repoFullName: string, prNumber: number, count = 16): string[] {
  const names = new Set<string>();
  for (let attempt = 0; names.size < count; attempt += 1)
    names.add(environmentName(repoFullName, prNumber, { attempt }));
  return [...names];
}
