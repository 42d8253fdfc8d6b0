import type { Database } from '../db/database.ts';
import { asc, eq } from '../db/drizzle-orm.ts';
import { teamMemberships, teams } from '../db/schema.ts';
import type { Principal } from './auth/principal.ts';
import type { MeView } from './environments/environment-schemas.ts';

/** Who the principal is and the teams they belong to. */
export async function describeMe(db: Database, principal: Principal): Promise<MeView> {
  const rows = await db
    .select({ slug: teams.slug, name: teams.name, role: teamMemberships.role })
    .from(teamMemberships)
    .innerJoin(teams, eq(teams.id, teamMemberships.teamId))
    .where(eq(teamMemberships.userId, principal.userId))
    .orderBy(asc(teams.slug));
  return { login: principal.login, isAdmin: principal.isAdmin, teams: rows };
}
