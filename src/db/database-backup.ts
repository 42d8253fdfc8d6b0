import { z } from 'zod';
import { InvalidInput } from '../domain/errors.ts';
import type { Database } from './database.ts';
import { sql } from './drizzle-orm.ts';
import { queryRows } from './query-rows.ts';

export const BACKUP_FORMAT = 'glimpse-backup/1';

/** A logical dump of Glimpse's tables: every row as JSON, with the migrations the schema had. */
export const DatabaseBackup = z.object({
  format: z.literal(BACKUP_FORMAT),
  glimpseVersion: z.string(),
  takenAt: z.string(),
  /** `created_at` of every migration applied (drizzle's journal), oldest first. */
  migrations: z.array(z.number()),
  tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
});
export type DatabaseBackup = z.infer<typeof DatabaseBackup>;

/** The base tables of the public schema, in name order. */
export async function glimpseTables(db: Database): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** The migrations a database has applied (their `created_at`), oldest first. */
export async function appliedMigrationTimes(db: Database): Promise<number[]> {
  const rows = await queryRows<{ created_at: string | number }>(
    db,
    sql`select created_at from drizzle.__drizzle_migrations order by created_at`,
  );
  return rows.map((r) => Number(r.created_at));
}

/**
 * Reads every table in one read-only, repeatable-read transaction: one consistent snapshot, taken while the
 * server keeps running (through its socket for the embedded database).
 */
export async function backupDatabase(
  db: Database,
  glimpseVersion: string,
  now: Date,
): Promise<DatabaseBackup> {
  return db.transaction(
    async (tx) => {
      const tables: DatabaseBackup['tables'] = {};
      for (const table of await glimpseTables(tx)) {
        const [row] = await queryRows<{ rows: Record<string, unknown>[] }>(
          tx,
          sql`select coalesce(json_agg(t), '[]'::json) as rows from ${sql.identifier(table)} t`,
        );
        tables[table] = row?.rows ?? [];
      }
      return {
        format: BACKUP_FORMAT,
        glimpseVersion,
        takenAt: now.toISOString(),
        migrations: await appliedMigrationTimes(tx),
        tables,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * Loads a backup into an empty database that has exactly the backup's migrations, in one transaction. Foreign keys
 * are not checked while rows go in (`session_replication_role = replica`), so tables load in any order; sequences
 * then continue after the highest id restored.
 */
export async function restoreDatabase(db: Database, backup: DatabaseBackup): Promise<{ rows: number }> {
  const migrations = await appliedMigrationTimes(db);
  const newer = backup.migrations.filter((m) => !migrations.includes(m));
  if (newer.length > 0) {
    throw new InvalidInput(
      `The backup was made by Glimpse ${backup.glimpseVersion}, whose database is newer than this version's: restore it with that version or a later one.`,
    );
  }
  if (migrations.length !== backup.migrations.length) {
    throw new InvalidInput(
      `The backup was made by Glimpse ${backup.glimpseVersion}, whose database is older than this version's: restore it with that version, then start this one (it migrates the data).`,
    );
  }
  const tables = await glimpseTables(db);
  const unknown = Object.keys(backup.tables).filter((t) => !tables.includes(t));
  if (unknown.length > 0)
    throw new InvalidInput(`The backup has tables this database does not: ${unknown.join(', ')}.`);
  for (const table of tables) {
    const [count] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from ${sql.identifier(table)}`,
    );
    if ((count?.n ?? 0) > 0)
      throw new InvalidInput(
        `The database is not empty (table ${table} has rows): restore into a new data dir (GLIMPSE_DATA_DIR) that no server has used.`,
      );
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    let restored = 0;
    for (const [table, rows] of Object.entries(backup.tables)) {
      const [first] = rows;
      if (first === undefined) continue;
      const columns = sql.join(
        Object.keys(first).map((c) => sql.identifier(c)),
        sql`, `,
      );
      await tx.execute(
        sql`insert into ${sql.identifier(table)} (${columns})
            select ${columns} from json_populate_recordset(null::${sql.identifier(table)}, ${JSON.stringify(rows)}::json)`,
      );
      restored += rows.length;
    }
    const serials = await queryRows<{ table_name: string; column_name: string }>(
      tx,
      sql`select table_name, column_name from information_schema.columns
          where table_schema = 'public' and (column_default like 'nextval(%' or is_identity = 'YES')`,
    );
    for (const { table_name: table, column_name: column } of serials) {
      await tx.execute(
        sql`select setval(pg_get_serial_sequence(${`"${table}"`}, ${column}), coalesce(max(${sql.identifier(column)}), 0) + 1, false)
            from ${sql.identifier(table)}`,
      );
    }
    return { rows: restored };
  });
}
