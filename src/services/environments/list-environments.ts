import { and, desc, eq, ilike, inArray, ne, or, type SQL, sql } from '../../db/drizzle-orm.ts';
import { environments, repos, teamMemberships } from '../../db/schema.ts';
import { InvalidInput } from '../../domain/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { parseInput } from '../parse-input.ts';
import { type EnvironmentPage, ListQuery } from './environment-schemas.ts';
import { environmentView } from './environment-view.ts';
import type { ServiceDeps } from './service-deps.ts';

/**
 * The environments the principal may see, newest activity first. Keyset pagination on (updated_at, id):
 * the cursor is opaque to clients (base64url of the last row's updated_at in microseconds and its id), so
 * pages stay stable while rows change and cost the same however deep a client pages.
 */
export async function listEnvironments(
  deps: ServiceDeps,
  principal: Principal,
  input: ListQuery,
): Promise<EnvironmentPage> {
  const query = parseInput(ListQuery, input, 'list query');
  const conditions: SQL[] = [];
  if (!principal.isAdmin) {
    conditions.push(
      inArray(
        repos.teamId,
        deps.db
          .select({ id: teamMemberships.teamId })
          .from(teamMemberships)
          .where(eq(teamMemberships.userId, principal.userId)),
      ),
    );
  }
  conditions.push(
    query.status === undefined ? ne(environments.phase, 'deleted') : eq(environments.phase, query.status),
  );
  if (query.repo !== undefined) conditions.push(sql`lower(${repos.fullName}) = ${query.repo.toLowerCase()}`);
  if (query.q !== undefined) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const match = or(
      ilike(environments.prTitle, pattern),
      ilike(environments.branch, pattern),
      ilike(environments.namespace, pattern),
      ilike(repos.fullName, pattern),
    );
    if (match !== undefined) conditions.push(match);
  }
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    conditions.push(
      sql`(${environments.updatedAt}, ${environments.id}) < (timestamptz 'epoch' + ${cursor.micros}::bigint * interval '1 microsecond', ${cursor.id}::uuid)`,
    );
  }
  const rows = await deps.db
    .select({
      env: environments,
      repoFullName: repos.fullName,
      micros: sql<string>`(extract(epoch from ${environments.updatedAt}) * 1000000)::bigint::text`,
    })
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .where(and(...conditions))
    .orderBy(desc(environments.updatedAt), desc(environments.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const now = deps.now();
  return {
    items: page.map((row) => environmentView(row.env, row.repoFullName, now)),
    nextCursor:
      rows.length > query.limit && last !== undefined ? encodeCursor(last.micros, last.env.id) : null,
  };
}

function encodeCursor(micros: string, id: string): string {
  return Buffer.from(`${micros}.${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { micros: string; id: string } {
  const match = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null || match[1] === undefined || match[2] === undefined)
    throw new InvalidInput('cursor is not one Glimpse handed out: pass the nextCursor of the previous page.');
  return { micros: match[1], id: match[2] };
}
