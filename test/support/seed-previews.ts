import type { Database } from '../../src/db/database.ts';
import { sql } from '../../src/db/drizzle-orm.ts';
import { environments, repos, teamMemberships, teams, users } from '../../src/db/schema.ts';
import { environmentName } from '../../src/domain/environment-name.ts';
import type { Phase, TeamRole } from '../../src/domain/vocabulary.ts';
import { createApiToken, revokeApiToken } from '../../src/services/api-tokens.ts';

/** A small world for authorization tests: two teams, their repos and environments, and people with tokens. */
export interface PreviewWorld {
  tokens: Record<'outsider' | 'member' | 'teamAdmin' | 'glimpseAdmin' | 'revoked', string>;
  /** Environments of team "acme" (repo acme/web). */
  running: SeededEnvironment;
  failed: SeededEnvironment;
  /** An environment of team "globex", visible only to Glimpse admins among the people above. */
  foreign: SeededEnvironment;
}

export interface SeededEnvironment {
  id: string;
  namespace: string;
}

let nextGithubId = 1;

export async function seedTeam(db: Database, slug: string): Promise<string> {
  const [team] = await db.insert(teams).values({ slug, name: slug }).returning({ id: teams.id });
  if (team === undefined) throw new Error('no team');
  return team.id;
}

export async function seedUser(
  db: Database,
  login: string,
  memberships: { teamId: string; role: TeamRole }[],
  isAdmin = false,
): Promise<string> {
  const [user] = await db.insert(users).values({ githubLogin: login, isAdmin }).returning({ id: users.id });
  if (user === undefined) throw new Error('no user');
  for (const m of memberships)
    await db.insert(teamMemberships).values({ teamId: m.teamId, userId: user.id, role: m.role });
  return user.id;
}

export async function seedRepo(
  db: Database,
  fullName: string,
  teamId: string,
  enabled = true,
): Promise<string> {
  nextGithubId += 1;
  const [repo] = await db
    .insert(repos)
    .values({ githubId: 5_000 + nextGithubId, fullName, installationId: 77, teamId, enabled })
    .returning({ id: repos.id });
  if (repo === undefined) throw new Error('no repo');
  return repo.id;
}

export async function seedEnvironment(
  db: Database,
  input: {
    repoId: string;
    repoFullName: string;
    prNumber: number;
    phase?: Phase;
    title?: string;
    updatedAt?: Date;
  },
): Promise<SeededEnvironment> {
  const namespace = environmentName(input.repoFullName, input.prNumber);
  const [env] = await db
    .insert(environments)
    .values({
      repoId: input.repoId,
      prNumber: input.prNumber,
      namespace,
      prTitle: input.title ?? `Change ${input.prNumber}`,
      prUrl: `https://github.com/${input.repoFullName}/pull/${input.prNumber}`,
      branch: `feature-${input.prNumber}`,
      headSha: 'a'.repeat(40),
      phase: input.phase ?? 'running',
      observedGeneration: 1,
      url: `http://${namespace}.preview.test`,
      ...(input.updatedAt === undefined ? {} : { updatedAt: input.updatedAt }),
    })
    .returning({ id: environments.id, namespace: environments.namespace });
  if (env === undefined) throw new Error('no environment');
  return env;
}

export async function seedPreviewWorld(db: Database): Promise<PreviewWorld> {
  const acme = await seedTeam(db, 'acme');
  const globex = await seedTeam(db, 'globex');
  await seedUser(db, 'olive', [{ teamId: globex, role: 'owner' }]);
  await seedUser(db, 'mia', [{ teamId: acme, role: 'member' }]);
  await seedUser(db, 'ada', [{ teamId: acme, role: 'admin' }]);
  await seedUser(db, 'root', [], true);
  await seedUser(db, 'rex', [{ teamId: acme, role: 'owner' }]);
  const web = await seedRepo(db, 'acme/web', acme);
  const shop = await seedRepo(db, 'globex/shop', globex);
  const token = async (login: string) => (await createApiToken(db, { login })).token;
  const revoked = await createApiToken(db, { login: 'rex' });
  await revokeApiToken(db, revoked.id);
  return {
    tokens: {
      outsider: await token('olive'),
      member: await token('mia'),
      teamAdmin: await token('ada'),
      glimpseAdmin: await token('root'),
      revoked: revoked.token,
    },
    running: await seedEnvironment(db, { repoId: web, repoFullName: 'acme/web', prNumber: 1 }),
    failed: await seedEnvironment(db, {
      repoId: web,
      repoFullName: 'acme/web',
      prNumber: 2,
      phase: 'failed',
    }),
    foreign: await seedEnvironment(db, { repoId: shop, repoFullName: 'globex/shop', prNumber: 3 }),
  };
}

/** Current generation and request fields of an environment. */
export async function requestState(db: Database, id: string) {
  const rows = await db.execute(
    sql`select generation, requested_trigger, requested_by, desired_state, approved_by from environments where id = ${id}`,
  );
  return (rows as unknown as { rows: Record<string, unknown>[] }).rows[0];
}
