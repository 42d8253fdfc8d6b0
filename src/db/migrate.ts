import { fileURLToPath } from 'node:url';
import type { Database, DatabaseHandle } from './database.ts';
import { requireDrizzle, sql } from './drizzle-orm.ts';
import { queryRows } from './query-rows.ts';

const { readMigrationFiles } = requireDrizzle(
  'drizzle-orm/migrator',
) as typeof import('drizzle-orm/migrator');

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/** Any constant shared by every Glimpse process; taken while migrating so replicas never race. */
const MIGRATION_LOCK_KEY = 0x676c6d70; // "glmp"

export class DatabaseTooNew extends Error {}

/** Applies pending migrations under an advisory lock; refuses a database written by a newer Glimpse. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<{ applied: number }> {
  return handle.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    const before = await migrationState(handle.db);
    await handle.applyMigrations(MIGRATIONS_FOLDER);
    const after = await migrationState(handle.db);
    return { applied: after.appliedCount - before.appliedCount };
  });
}

export interface MigrationState {
  known: number;
  appliedCount: number;
  pending: number;
}

/** How the database's migrations compare with the ones this version of Glimpse ships. */
export async function migrationState(db: Database): Promise<MigrationState> {
  const known = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const newestKnown = Math.max(...known.map((m) => m.folderMillis));
  const applied = await appliedMigrations(db);
  const newestApplied = Math.max(0, ...applied.map((m) => m.createdAt));
  if (newestApplied > newestKnown) {
    throw new DatabaseTooNew(
      `The database was migrated by a newer version of Glimpse (its newest migration is from ${new Date(newestApplied).toISOString()}, ` +
        `this version knows migrations up to ${new Date(newestKnown).toISOString()}). Upgrade Glimpse, or point it at another database.`,
    );
  }
  const appliedTimes = new Set(applied.map((m) => m.createdAt));
  const pending = known.filter((m) => !appliedTimes.has(m.folderMillis)).length;
  return { known: known.length, appliedCount: applied.length, pending };
}

async function appliedMigrations(db: Database): Promise<{ createdAt: number }[]> {
  const [table] = await queryRows<{ present: boolean }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (table?.present !== true) return [];
  const rows = await queryRows<{ created_at: string | number }>(
    db,
    sql`select created_at from drizzle.__drizzle_migrations`,
  );
  return rows.map((r) => ({ createdAt: Number(r.created_at) }));
}
