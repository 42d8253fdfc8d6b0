import type { EnvironmentEvent } from '../domain/environment-event.ts';
import type { Database } from './database.ts';
import { environmentEvents } from './schema.ts';

/** Adds entries to environments' timelines; call it in the transaction of the change they explain. */
export async function recordEnvironmentEvents(
  db: Pick<Database, 'insert'>,
  environmentId: string,
  events: readonly EnvironmentEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await db.insert(environmentEvents).values(events.map((event) => eventRow(environmentId, event)));
}

/** The row of one timeline entry. */
export function eventRow(environmentId: string, event: EnvironmentEvent) {
  return {
    environmentId,
    type: event.type,
    reason: event.reason,
    message: event.message,
    details: event.details ?? null,
  };
}
