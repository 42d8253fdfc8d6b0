import type { Database } from '../../db/database.ts';
import { and, eq, inArray, ne, sql } from '../../db/drizzle-orm.ts';
import { environments, repos, teams } from '../../db/schema.ts';

export interface GithubAccount {
  login: string;
  id: number;
}

/** The team that owns an installation's repos: one per GitHub account, with the account's slug. */
export async function ensureAccountTeam(tx: Database, account: GithubAccount): Promise<string> {
  const [linked] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.githubAccountId, account.id));
  if (linked !== undefined) return linked.id;
  const [team] = await tx
    .insert(teams)
    .values({ slug: account.login.toLowerCase(), name: account.login, githubAccountId: account.id })
    .onConflictDoUpdate({ target: teams.slug, set: { githubAccountId: account.id } })
    .returning({ id: teams.id });
  if (team === undefined) throw new Error('upserting a team returned no row');
  return team.id;
}

/**
 * The GitHub id is a repository's identity; its name follows it. When a repository takes a name (case
 * aside) that another GitHub id held here (that one was renamed away, transferred, or deleted and this one
 * created in its place), the other row gives the name up: it is kept as `owner/name#<github id>` until a
 * delivery tells its new name, so names stay unique and neither repository's deliveries fail.
 */
export async function releaseRepoName(tx: Database, githubId: number, fullName: string): Promise<void> {
  await tx
    .update(repos)
    .set({ fullName: sql`${repos.fullName} || '#' || ${repos.githubId}`, updatedAt: sql`now()` })
    .where(and(sql`lower(${repos.fullName}) = ${fullName.toLowerCase()}`, ne(repos.githubId, githubId)));
}

/** A repository renamed or transferred on GitHub: its row follows the new name (and clone URL). */
export async function renameRepo(
  tx: Database,
  githubId: number,
  change: { fullName: string; cloneUrl?: string | undefined; defaultBranch?: string | undefined },
): Promise<{ id: string; from: string } | undefined> {
  const [current] = await tx
    .select({ id: repos.id, fullName: repos.fullName })
    .from(repos)
    .where(eq(repos.githubId, githubId));
  if (current === undefined) return undefined;
  await releaseRepoName(tx, githubId, change.fullName);
  await tx
    .update(repos)
    .set({
      fullName: change.fullName,
      ...(change.cloneUrl === undefined ? {} : { cloneUrl: change.cloneUrl }),
      ...(change.defaultBranch === undefined ? {} : { defaultBranch: change.defaultBranch }),
      updatedAt: sql`now()`,
    })
    .where(eq(repos.id, current.id));
  return { id: current.id, from: current.fullName };
}

export async function connectRepos(
  tx: Database,
  input: { installationId: number; teamId: string; repositories: { id: number; full_name: string }[] },
): Promise<number> {
  if (input.repositories.length === 0) return 0;
  for (const repository of input.repositories) await releaseRepoName(tx, repository.id, repository.full_name);
  const rows = input.repositories.map((r) => ({
    githubId: r.id,
    fullName: r.full_name,
    installationId: input.installationId,
    teamId: input.teamId,
  }));
  await tx
    .insert(repos)
    .values(rows)
    .onConflictDoUpdate({
      target: repos.githubId,
      set: {
        fullName: sql`excluded.full_name`,
        installationId: sql`excluded.installation_id`,
        teamId: sql`excluded.team_id`,
        enabled: true,
        updatedAt: sql`now()`,
      },
    });
  return rows.length;
}

/**
 * Marks repos disconnected (those of an installation, or the given GitHub ids, or both); with `close`, their
 * open environments are closed (and so cleaned up).
 */
export async function disconnectRepos(
  tx: Database,
  where: { installationId?: number; githubIds?: number[] },
  options: { close: boolean },
): Promise<string[]> {
  const condition = and(
    where.installationId === undefined ? undefined : eq(repos.installationId, where.installationId),
    where.githubIds === undefined ? undefined : inArray(repos.githubId, where.githubIds),
  );
  if (condition === undefined) throw new Error('disconnectRepos needs an installation or GitHub ids');
  const disabled = await tx
    .update(repos)
    .set({ enabled: false, updatedAt: sql`now()` })
    .where(condition)
    .returning({ id: repos.id });
  if (!options.close || disabled.length === 0) return [];
  return closeEnvironmentsOfRepos(
    tx,
    disabled.map((r) => r.id),
  );
}

export async function setInstallationEnabled(
  tx: Database,
  installationId: number,
  enabled: boolean,
): Promise<number> {
  const rows = await tx
    .update(repos)
    .set({ enabled, updatedAt: sql`now()` })
    .where(eq(repos.installationId, installationId))
    .returning({ id: repos.id });
  return rows.length;
}

async function closeEnvironmentsOfRepos(tx: Database, repoIds: string[]): Promise<string[]> {
  const closed = await tx
    .update(environments)
    .set({
      desiredState: 'closed',
      generation: sql`${environments.generation} + 1`,
      attempts: 0,
      nextAttemptAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(environments.repoId, repoIds), eq(environments.desiredState, 'active')))
    .returning({ id: environments.id });
  return closed.map((e) => e.id);
}
