import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { asc, eq, sql } from '../db/drizzle-orm.ts';
import { teamMemberships, teams } from '../db/schema.ts';
import { Conflict, InvalidInput, NotFound } from '../domain/errors.ts';

/** GitHub account names: letters, digits and single hyphens; Glimpse keeps them lowercased. */
export const Slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/);

export interface Team {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  members: number;
}

export function parseSlug(value: string, what: string): string {
  const parsed = Slug.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInput(
      `${what} "${value}" is not valid: use letters, digits and single hyphens, at most 39 characters.`,
    );
  }
  return parsed.data;
}

export async function createTeam(
  db: Database,
  input: { slug: string; name?: string | undefined },
): Promise<Team> {
  const slug = parseSlug(input.slug, 'Team slug');
  const [row] = await db
    .insert(teams)
    .values({ slug, name: input.name ?? slug })
    .onConflictDoNothing()
    .returning();
  if (row === undefined) throw new Conflict(`Team "${slug}" already exists.`);
  return { id: row.id, slug: row.slug, name: row.name, createdAt: row.createdAt, members: 0 };
}

export async function listTeams(db: Database): Promise<Team[]> {
  return db
    .select({
      id: teams.id,
      slug: teams.slug,
      name: teams.name,
      createdAt: teams.createdAt,
      members: sql<number>`cast(count(${teamMemberships.userId}) as int)`,
    })
    .from(teams)
    .leftJoin(teamMemberships, eq(teamMemberships.teamId, teams.id))
    .groupBy(teams.id)
    .orderBy(asc(teams.slug));
}

export async function findTeamBySlug(db: Database, slug: string): Promise<{ id: string; slug: string }> {
  const normalised = parseSlug(slug, 'Team slug');
  const [row] = await db
    .select({ id: teams.id, slug: teams.slug })
    .from(teams)
    .where(eq(teams.slug, normalised));
  if (row === undefined)
    throw new NotFound(
      `Team "${normalised}" does not exist: create it with "glimpse teams create ${normalised}".`,
    );
  return row;
}
