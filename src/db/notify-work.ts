import type { Database } from './database.ts';
import { sql } from './drizzle-orm.ts';

/** The channel on which the controller listens for new work. */
export const WORK_CHANNEL = 'glimpse_work';

/**
 * Wakes every controller (this process and other replicas) once the current transaction commits.
 * PostgreSQL delivers the notification on commit; PGlite does the same in-process.
 */
export async function notifyWork(tx: Database): Promise<void> {
  await tx.execute(sql`select pg_notify(${WORK_CHANNEL}, '')`);
}

/**
 * The same wake-up as a column expression, for a statement the transaction runs anyway
 * (`.returning({ woke: wakeWorkers })`): it saves a round trip to the database on the webhook path.
 */
export const wakeWorkers = sql`pg_notify(${WORK_CHANNEL}, '')`;
