import { type Config, loadConfig } from '../config/config.ts';
import { openClientDatabase } from '../db/connect-database.ts';
import type { Database } from '../db/database.ts';
import { migrateDatabase } from '../db/migrate.ts';
import type { CliIo } from './cli-io.ts';

/** Runs an administration command against the configured database, migrated to this version first. */
export async function withClientDatabase<T>(
  io: CliIo,
  work: (db: Database, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(io.env, io.cwd);
  const handle = await openClientDatabase(config);
  try {
    await migrateDatabase(handle);
    return await work(handle.db, config);
  } finally {
    await handle.close();
  }
}
