import { deepMerge, loadWebhookExample } from '../../github/webhook-examples.ts';
import type { LocalRepo } from './local-repo.ts';

/** The installation that owns simulated repos; its account becomes the team `local`. */
const LOCAL_INSTALLATION = { id: 1, account: { login: 'local', id: 1, type: 'User' } };

export type SimulatedAction = 'opened' | 'synchronize' | 'closed';

/** `installation_repositories` `added` for the repo, built from GitHub's real example. */
export function connectRepoPayload(repo: LocalRepo): Record<string, unknown> {
  return deepMerge(loadWebhookExample('installation_repositories', 'added'), {
    installation: LOCAL_INSTALLATION,
    repositories_added: [
      { id: repo.id, full_name: repo.fullName, name: repo.fullName.split('/')[1], private: false },
    ],
    repositories_removed: [],
  });
}

/** A `pull_request` delivery for the repo's current HEAD, built from GitHub's real example. */
export function pullRequestPayload(
  repo: LocalRepo,
  action: SimulatedAction,
  number: number,
  now: Date,
): Record<string, unknown> {
  const repository = {
    id: repo.id,
    full_name: repo.fullName,
    name: repo.fullName.split('/')[1],
    clone_url: repo.cloneUrl,
    default_branch: 'main',
  };
  return deepMerge(loadWebhookExample('pull_request', action), {
    action,
    number,
    installation: { id: LOCAL_INSTALLATION.id },
    repository,
    sender: { login: 'local' },
    pull_request: {
      number,
      title: `Simulated pull request #${number} from ${repo.branch}`,
      state: action === 'closed' ? 'closed' : 'open',
      draft: false,
      merged: false,
      labels: [],
      updated_at: now.toISOString(),
      head: { sha: repo.headSha, ref: repo.branch, repo: repository },
      base: { ref: 'main', repo: repository },
    },
  });
}
