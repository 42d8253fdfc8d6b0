import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

/** The Drizzle database, whichever driver is behind it (PGlite, node-postgres). Transactions have this type too. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /** Where the data is, for the banner and logs; never contains a password. */
  description: string;
  /** Runs `work` while holding a session-level advisory lock (other processes taking it wait). */
  withAdvisoryLock<T>(key: number, work: () => Promise<T>): Promise<T>;
  /** Calls `onNotify` for each NOTIFY on `channel` until the returned function is called. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** Applies the SQL migrations in `folder` that this database has not seen yet. */
  applyMigrations(folder: string): Promise<void>;
  close(): Promise<void>;
}
