import type { Database } from '../db/database.ts';
import { eq } from '../db/drizzle-orm.ts';
import { environments, repos } from '../db/schema.ts';
import type { RepoRef } from '../github/github-client.ts';
import type { EnvironmentRef } from '../runtimes/runtime.ts';
import type { Lease } from './leases.ts';

export type EnvironmentRow = typeof environments.$inferSelect;
export type RepoRow = typeof repos.$inferSelect;

/** An environment the controller holds the lease for, with its repo; every write under it is fenced by `lease`. */
export interface WorkItem {
  env: EnvironmentRow;
  repo: RepoRow;
  lease: Lease;
}

export async function loadWorkItem(db: Database, id: string, lease: Lease): Promise<WorkItem | undefined> {
  const [row] = await db
    .select()
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .where(eq(environments.id, id));
  return row === undefined ? undefined : { env: row.environments, repo: row.repos, lease };
}

export function environmentRef(item: WorkItem): EnvironmentRef {
  return { namespace: item.env.namespace, repoFullName: item.repo.fullName, prNumber: item.env.prNumber };
}

export function repoRef(repo: RepoRow): RepoRef {
  const [owner = '', name = ''] = repo.fullName.split('/');
  return { installationId: repo.installationId, owner, repo: name };
}

/** Where `.glimpse.yml` is read from: the PR's commit, or the base branch for forks (never the fork's file). */
export function configRef(env: EnvironmentRow): string {
  return env.isFork ? (env.baseBranch ?? env.headSha) : env.headSha;
}
