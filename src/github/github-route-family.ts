/**
 * The family of a GitHub API route, for metrics: a small fixed vocabulary, never an owner, repo or number.
 * Takes the route's URL as octokit holds it, a template (`/repos/{owner}/{repo}/pulls`) or an absolute URL
 * (pagination's next page, GitHub Enterprise's `/api/v3` prefix); anything else is `other`.
 */
const FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^\/app\/installations\/[^/]+\/access_tokens$/, 'installation_token'],
  [/^\/repos\/[^/]+\/[^/]+\/issues\/(?:[^/]+\/comments|comments\/[^/]+)$/, 'issue_comments'],
  [/^\/repos\/[^/]+\/[^/]+\/deployments\/[^/]+\/statuses$/, 'deployment_statuses'],
  [/^\/repos\/[^/]+\/[^/]+\/deployments(?:\/[^/]+)?$/, 'deployments'],
  [/^\/repos\/[^/]+\/[^/]+\/pulls(?:\/[^/]+)?$/, 'pulls'],
  [/^\/repos\/[^/]+\/[^/]+\/contents(?:\/|$)/, 'contents'],
  [/^\/repos\/[^/]+\/[^/]+\/tarball(?:\/|$)/, 'tarball'],
  [/^\/repos\/[^/]+\/[^/]+\/collaborators\/[^/]+\/permission$/, 'collaborator_permission'],
  [/^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/(?:check-runs|status)$/, 'commit_checks'],
  [/^\/repos\/[^/]+\/[^/]+$/, 'repository'],
  [/^\/graphql$/, 'graphql'],
];

export function githubRouteFamily(url: string): string {
  const path = (URL.parse(url, 'http://api.invalid')?.pathname ?? '').replace(/^\/api\/v3(?=\/)/, '');
  return FAMILIES.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}
