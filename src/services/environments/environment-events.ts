import type { Database } from '../../db/database.ts';
import { and, asc, desc, eq, gt, inArray } from '../../db/drizzle-orm.ts';
import { environmentEvents } from '../../db/schema.ts';
import { InvalidInput } from '../../domain/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { parseInput } from '../parse-input.ts';
import { type EventPage, EventsQuery, type EventView } from './event-schemas.ts';
import { assertAllowed, locateEnvironment } from './locate-environment.ts';
import type { ServiceDeps } from './service-deps.ts';

/**
 * The timeline of an environment, oldest first, for whoever may see the environment. Keyset pagination on
 * the event id: the cursor is opaque to clients (base64url of the last id on the page).
 */
export async function listEnvironmentEvents(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
  input: EventsQuery,
): Promise<EventPage> {
  const query = parseInput(EventsQuery, input, 'events query');
  const located = await locateEnvironment(deps.db, principal, ref);
  assertAllowed(principal, located, ref, 'view');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await deps.db
    .select()
    .from(environmentEvents)
    .where(
      and(
        eq(environmentEvents.environmentId, located.env.id),
        after === undefined ? undefined : gt(environmentEvents.id, after),
      ),
    )
    .orderBy(asc(environmentEvents.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(eventView),
    nextCursor:
      rows.length > query.limit && last !== undefined
        ? Buffer.from(String(last.id)).toString('base64url')
        : null,
  };
}

/** The newest `limit` entries of an environment's timeline, oldest first (no authorization: callers check). */
export async function latestEvents(db: Database, environmentId: string, limit: number): Promise<EventView[]> {
  const newest = db
    .select({ id: environmentEvents.id })
    .from(environmentEvents)
    .where(eq(environmentEvents.environmentId, environmentId))
    .orderBy(desc(environmentEvents.id))
    .limit(limit);
  const rows = await db
    .select()
    .from(environmentEvents)
    .where(inArray(environmentEvents.id, newest))
    .orderBy(asc(environmentEvents.id));
  return rows.map(eventView);
}

function eventView(row: typeof environmentEvents.$inferSelect): EventView {
  return {
    id: row.id,
    time: row.time.toISOString(),
    type: row.type,
    reason: row.reason,
    message: row.message,
    details: row.details,
  };
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,15}$/.test(text))
    throw new InvalidInput('cursor is not one Glimpse handed out: pass the nextCursor of the previous page.');
  return Number(text);
}
