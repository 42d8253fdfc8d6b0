import type { Database } from '../db/database.ts';
import { asc, eq } from '../db/drizzle-orm.ts';
import { teamMemberships, teams, users } from '../db/schema.ts';
import { NotFound } from '../domain/errors.ts';
import type { TeamRole } from '../domain/vocabulary.ts';
import { findTeamBySlug, parseSlug } from './teams.ts';

export interface Membership {
  userId: string;
  login: string;
  team: string;
  role: TeamRole;
}

/** Adds (or re-roles) a user in a team, creating the user record on first sight. */
export async function addUserToTeam(
  db: Database,
  input: { login: string; teamSlug: string; role: TeamRole },
): Promise<Membership> {
  const login = parseSlug(input.login, 'GitHub login');
  const team = await findTeamBySlug(db, input.teamSlug);
  return db.transaction(async (tx) => {
    await tx.insert(users).values({ githubLogin: login }).onConflictDoNothing();
    const user = await findUserByLogin(tx, login);
    await tx
      .insert(teamMemberships)
      .values({ teamId: team.id, userId: user.id, role: input.role })
      .onConflictDoUpdate({
        target: [teamMemberships.teamId, teamMemberships.userId],
        set: { role: input.role },
      });
    return { userId: user.id, login, team: team.slug, role: input.role };
  });
}

export async function findUserByLogin(
  db: Database,
  login: string,
): Promise<{ id: string; githubLogin: string }> {
  const normalised = parseSlug(login, 'GitHub login');
  const [user] = await db
    .select({ id: users.id, githubLogin: users.githubLogin })
    .from(users)
    .where(eq(users.githubLogin, normalised));
  if (user === undefined) {
    throw new NotFound(
      `User "${normalised}" does not exist: add them with "glimpse users add ${normalised} --team <slug>".`,
    );
  }
  return user;
}

/** Grants or revokes Glimpse administration (everything, in every team). */
export async function setGlimpseAdmin(
  db: Database,
  login: string,
  isAdmin: boolean,
): Promise<{ login: string; isAdmin: boolean }> {
  const user = await findUserByLogin(db, login);
  await db.update(users).set({ isAdmin }).where(eq(users.id, user.id));
  return { login: user.githubLogin, isAdmin };
}

export interface UserSummary {
  login: string;
  name: string | null;
  isAdmin: boolean;
  teams: { team: string; role: TeamRole }[];
  createdAt: Date;
}

/** Every user with their teams and roles, by login. */
export async function listUsers(db: Database): Promise<UserSummary[]> {
  const rows = await db
    .select({
      id: users.id,
      login: users.githubLogin,
      name: users.name,
      isAdmin: users.isAdmin,
      createdAt: users.createdAt,
      team: teams.slug,
      role: teamMemberships.role,
    })
    .from(users)
    .leftJoin(teamMemberships, eq(teamMemberships.userId, users.id))
    .leftJoin(teams, eq(teams.id, teamMemberships.teamId))
    .orderBy(asc(users.githubLogin), asc(teams.slug));
  const byId = new Map<string, UserSummary>();
  for (const row of rows) {
    let user = byId.get(row.id);
    if (user === undefined) {
      user = { login: row.login, name: row.name, isAdmin: row.isAdmin, teams: [], createdAt: row.createdAt };
      byId.set(row.id, user);
    }
    if (row.team !== null && row.role !== null) user.teams.push({ team: row.team, role: row.role });
  }
  return [...byId.values()];
}
