import { createHash } from 'node:crypto';

const MAX_DNS_LABEL = 63;
const HASH_LENGTH = 6;

/**
 * The environment's name, `pr-<repo>-<number>`: a DNS-1123 label (Kubernetes namespace, preview host name).
 * The repo part is lowercased, anything outside [a-z0-9-] becomes "-", repeats collapse and ends are trimmed.
 * A name that would pass 63 characters keeps a shortened repo part plus a hash of the full repo name, so two
 * long names never collide. `disambiguate` forces the hashed form, for a repo whose plain name another repo
 * of the same name (under another owner) already uses.
 */
export function environmentName(
  repoFullName: string,
  prNumber: number,
  options: { disambiguate?: boolean } = {},
): string {
  const repo = repoFullName.split('/').pop() ?? repoFullName;
  const slug = slugify(repo) || 'repo';
  const suffix = `-${prNumber}`;
  const whole = `pr-${slug}${suffix}`;
  if (whole.length <= MAX_DNS_LABEL && options.disambiguate !== true) return whole;
  const hash = createHash('sha256').update(repoFullName.toLowerCase()).digest('hex').slice(0, HASH_LENGTH);
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
