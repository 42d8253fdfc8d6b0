import type { SQL } from 'drizzle-orm';
import type { Database } from './database.ts';

/** Runs raw SQL and returns its rows. Both drivers (PGlite, node-postgres) answer with a `rows` array. */
export async function queryRows<Row>(db: Database, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}
