import type { Database } from '../../db/database.ts';
import { InstallationEvent, InstallationRepositoriesEvent } from '../../github/webhook-payloads.ts';
import { type HandlerResult, unusablePayload } from './handler-result.ts';
import {
  connectRepos,
  disconnectRepos,
  ensureAccountTeam,
  setInstallationEnabled,
} from './repo-connections.ts';

/** `installation`: the App was installed, uninstalled, suspended or unsuspended on an account. */
export async function handleInstallation(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = InstallationEvent.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: unusablePayload('installation', parsed.error) };
  const { action, installation, repositories } = parsed.data;
  switch (action) {
    case 'created':
    case 'new_permissions_accepted': {
      if (installation.account === null) return { outcome: 'ignored', reason: 'installation has no account' };
      const teamId = await ensureAccountTeam(tx, installation.account);
      const count = await connectRepos(tx, {
        installationId: installation.id,
        teamId,
        repositories: repositories ?? [],
      });
      return { outcome: 'applied', environmentIds: [], detail: `${count} repositories connected` };
    }
    case 'deleted': {
      const closed = await disconnectRepos(tx, { installationId: installation.id }, { close: true });
      return { outcome: 'applied', environmentIds: closed, detail: 'installation removed' };
    }
    case 'suspend':
    case 'unsuspend': {
      const count = await setInstallationEnabled(tx, installation.id, action === 'unsuspend');
      return { outcome: 'applied', environmentIds: [], detail: `${count} repositories ${action}ed` };
    }
    default:
      return { outcome: 'ignored', reason: `installation ${action} does not affect previews` };
  }
}

/** `installation_repositories`: repositories were added to or removed from an installation. */
export async function handleInstallationRepositories(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = InstallationRepositoriesEvent.safeParse(payload);
  if (!parsed.success)
    return { outcome: 'ignored', reason: unusablePayload('installation_repositories', parsed.error) };
  const { installation, repositories_added, repositories_removed } = parsed.data;
  let connected = 0;
  if (repositories_added.length > 0) {
    if (installation.account === null) return { outcome: 'ignored', reason: 'installation has no account' };
    const teamId = await ensureAccountTeam(tx, installation.account);
    connected = await connectRepos(tx, {
      installationId: installation.id,
      teamId,
      repositories: repositories_added,
    });
  }
  const closed =
    repositories_removed.length === 0
      ? []
      : await disconnectRepos(
          tx,
          { installationId: installation.id, githubIds: repositories_removed.map((r) => r.id) },
          { close: true },
        );
  return {
    outcome: 'applied',
    environmentIds: closed,
    detail: `${connected} connected, ${repositories_removed.length} removed`,
  };
}
