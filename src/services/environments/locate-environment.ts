import type { Database } from '../../db/database.ts';
import { and, eq } from '../../db/drizzle-orm.ts';
import { environments, repos, teamMemberships } from '../../db/schema.ts';
import { authorize, type EnvironmentAction } from '../../domain/authorize.ts';
import { Forbidden, InvalidInput, NotFound } from '../../domain/errors.ts';
import type { TeamRole } from '../../domain/vocabulary.ts';
import type { Principal } from '../auth/principal.ts';

export type EnvironmentRow = typeof environments.$inferSelect;

export interface LocatedEnvironment {
  env: EnvironmentRow;
  repoFullName: string;
  teamId: string;
  role: TeamRole | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An environment id (UUID) or namespace (`pr-web-12`); anything else is invalid input. */
export function parseEnvironmentRef(ref: string): { id: string } | { namespace: string } {
  if (UUID.test(ref)) return { id: ref.toLowerCase() };
  if (NAMESPACE.test(ref)) return { namespace: ref };
  throw new InvalidInput(
    `"${ref}" is neither an environment id nor a namespace: pass an id (a UUID) or a namespace such as pr-web-12.`,
  );
}

export function notFoundError(ref: string): NotFound {
  return new NotFound(
    `No environment "${ref}" that you can see: check the id or namespace with "glimpse env ls".`,
  );
}

/** The environment with the principal's role in its team, whether or not they may see it. */
export async function locateEnvironment(
  db: Database,
  principal: Principal,
  ref: string,
): Promise<LocatedEnvironment | undefined> {
  const parsed = parseEnvironmentRef(ref);
  const [row] = await db
    .select({
      env: environments,
      repoFullName: repos.fullName,
      teamId: repos.teamId,
      role: teamMemberships.role,
    })
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .leftJoin(
      teamMemberships,
      and(eq(teamMemberships.teamId, repos.teamId), eq(teamMemberships.userId, principal.userId)),
    )
    .where('id' in parsed ? eq(environments.id, parsed.id) : eq(environments.namespace, parsed.namespace));
  if (row === undefined) return undefined;
  return { env: row.env, repoFullName: row.repoFullName, teamId: row.teamId, role: row.role ?? undefined };
}

/** Throws NotFound (hidden) or Forbidden unless the principal may do `action` to the environment. */
export function assertAllowed(
  principal: Principal,
  located: LocatedEnvironment | undefined,
  ref: string,
  action: EnvironmentAction,
): asserts located is LocatedEnvironment {
  if (located === undefined) throw notFoundError(ref);
  const decision = authorize({ isAdmin: principal.isAdmin, role: located.role }, action);
  if (decision === 'hide') throw notFoundError(ref);
  if (decision === 'deny')
    throw new Forbidden(
      `Only an admin or owner of the team that owns ${located.repoFullName} may ${action} ${located.env.namespace}: ask one of them.`,
    );
}
