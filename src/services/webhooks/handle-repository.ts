import type { Database } from '../../db/database.ts';
import { RepositoryEvent } from '../../github/webhook-payloads.ts';
import { type HandlerResult, unusablePayload } from './handler-result.ts';
import { disconnectRepos, renameRepo } from './repo-connections.ts';

/**
 * `repository`: a connected repository was renamed or transferred (its row follows the new name, its previews
 * keep their namespaces and keep working) or deleted (it is disconnected and its previews are removed).
 */
export async function handleRepository(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = RepositoryEvent.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: unusablePayload('repository', parsed.error) };
  const { action, repository } = parsed.data;
  switch (action) {
    case 'renamed':
    case 'transferred': {
      const renamed = await renameRepo(tx, repository.id, {
        fullName: repository.full_name,
        cloneUrl: repository.clone_url,
        defaultBranch: repository.default_branch,
      });
      if (renamed === undefined) return { outcome: 'ignored', reason: 'repository not connected' };
      return {
        outcome: 'applied',
        environmentIds: [],
        detail: `${renamed.from} is now ${repository.full_name}`,
      };
    }
    case 'deleted': {
      const closed = await disconnectRepos(tx, { githubIds: [repository.id] }, { close: true });
      return { outcome: 'applied', environmentIds: closed, detail: 'repository deleted' };
    }
    default:
      return { outcome: 'ignored', reason: `repository ${action} does not affect previews` };
  }
}
