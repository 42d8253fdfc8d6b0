import { and, asc, desc, eq, ilike, inArray, ne, or, type SQL, sql } from '../../db/drizzle-orm.ts';
import { environments, repos, teamMemberships } from '../../db/schema.ts';
import { InvalidInput } from '../../domain/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { parseInput } from '../parse-input.ts';
import { observe } from './environment-reads.ts';
import { type EnvironmentPage, type LIST_SORTS, ListQuery } from './environment-schemas.ts';
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
  const column = query.sort === 'created' ? environments.createdAt : environments.updatedAt;
  const ascending = query.sort === 'stale';
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor, query.sort);
    const position = sql`(timestamptz 'epoch' + ${cursor.micros}::bigint * interval '1 microsecond', ${cursor.id}::uuid)`;
    conditions.push(
      ascending
        ? sql`(${column}, ${environments.id}) > ${position}`
        : sql`(${column}, ${environments.id}) < ${position}`,
    );
  }
  const order = ascending ? asc : desc;
  const rows = await deps.db
    .select({
      env: environments,
      repoFullName: repos.fullName,
      micros: sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`,
    })
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .where(and(...conditions))
    .orderBy(order(column), order(environments.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const now = deps.now();
  const observed = await Promise.all(
    page.map((row) =>
      query.usage === 'true' && row.env.phase === 'running'
        ? observe(deps.runtime, { env: row.env, repoFullName: row.repoFullName })
        : undefined,
    ),
  );
  return {
    items: page.map((row, index) => environmentView(row.env, row.repoFullName, now, observed[index])),
    nextCursor:
      rows.length > query.limit && last !== undefined
        ? encodeCursor(last.micros, last.env.id, query.sort)
        : null,
  };
}

type ListSort = (typeof LIST_SORTS)[number];

/** The default order's cursors carry no sort name (as before sorting existed); the others say theirs. */
function encodeCursor(micros: string, id: string, sort: ListSort): string {
  return Buffer.from(`${sort === 'updated' ? '' : `${sort}:`}${micros}.${id}`).toString('base64url');
}

function decodeCursor(cursor: string, sort: ListSort): { micros: string; id: string } {
  const match = /^(?:([a-z]+):)?(\d{1,20})\.([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (match === null || match[2] === undefined || match[3] === undefined)
    throw new InvalidInput('cursor is not one Glimpse handed out: pass the nextCursor of the previous page.');
  if ((match[1] ?? 'updated') !== sort)
    throw new InvalidInput(
      `cursor belongs to another sort order than "${sort}": pass the same sort as for the first page.`,
    );
  return { micros: match[2], id: match[3] };
}
