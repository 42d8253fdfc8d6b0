import { INSTALLATION } from './connect-repo.ts';

/**
 * The fields of a `pull_request` delivery Glimpse reads, for a PR from a branch `feature-<number>` of the
 * repo itself onto `main`: overrides for the real example payload (`sendWebhook`).
 */
export function pullRequestOverrides(input: {
  action: string;
  repo: { id: number; fullName: string };
  number: number;
  sha: string;
  open: boolean;
  updatedAt: string;
}) {
  const { repo, number } = input;
  return {
    action: input.action,
    number,
    repository: {
      id: repo.id,
      full_name: repo.fullName,
      clone_url: `https://github.com/${repo.fullName}.git`,
    },
    installation: { id: INSTALLATION.id },
    pull_request: {
      number,
      state: input.open ? 'open' : 'closed',
      updated_at: input.updatedAt,
      draft: false,
      labels: [],
      head: { sha: input.sha, ref: `feature-${number}`, repo: { id: repo.id, full_name: repo.fullName } },
      base: { ref: 'main', repo: { id: repo.id, full_name: repo.fullName } },
    },
  };
}
