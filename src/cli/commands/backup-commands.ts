import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { openClientDatabase } from '../../db/connect-database.ts';
import { backupDatabase, DatabaseBackup, restoreDatabase } from '../../db/database-backup.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { InvalidInput } from '../../domain/errors.ts';
import { GLIMPSE_VERSION } from '../../version.ts';
import { type CliIo, printJson } from '../cli-io.ts';

export function registerBackupCommands(program: Command, io: CliIo): void {
  program
    .command('backup <file>')
    .description(
      'write a consistent copy of the database to <file> (gzipped JSON), also while the server runs',
    )
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      const target = path.resolve(io.cwd, file);
      const handle = await openClientDatabase(config);
      try {
        const backup = await backupDatabase(handle.db, GLIMPSE_VERSION, new Date());
        // Token hashes and the sealed GitHub App are in it: readable by the owner only.
        const partial = `${target}.${process.pid}.partial`;
        await writeFile(partial, await promisify(gzip)(JSON.stringify(backup)), { mode: 0o600 });
        await rename(partial, target);
        const rows = Object.values(backup.tables).reduce((sum, table) => sum + table.length, 0);
        const tables = Object.keys(backup.tables).length;
        if (options.json) printJson(io, { file: target, tables, rows, database: handle.description });
        else
          io.stdout(`Backed up ${rows} rows of ${tables} tables from ${handle.description} to ${target}.\n`);
      } finally {
        await handle.close();
      }
    });

  program
    .command('restore <file>')
    .description('load a backup into a new, empty embedded database (GLIMPSE_DATA_DIR)')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      if (config.databaseUrl !== undefined)
        throw new InvalidInput(
          'glimpse restore loads the embedded database: unset DATABASE_URL and set GLIMPSE_DATA_DIR to a new directory (for PostgreSQL, use pg_restore).',
        );
      const backup = await readBackup(path.resolve(io.cwd, file));
      const handle = await openClientDatabase(config);
      try {
        await migrateDatabase(handle);
        const { rows } = await restoreDatabase(handle.db, backup);
        if (options.json) printJson(io, { rows, takenAt: backup.takenAt, database: handle.description });
        else
          io.stdout(
            `Restored ${rows} rows from the backup of ${backup.takenAt} (Glimpse ${backup.glimpseVersion}) into ${handle.description}.\n`,
          );
      } finally {
        await handle.close();
      }
    });
}

async function readBackup(file: string): Promise<DatabaseBackup> {
  let json: unknown;
  try {
    json = JSON.parse((await promisify(gunzip)(await readFile(file))).toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInput(
      `${file} is not a Glimpse backup (${reason}): give a file "glimpse backup" wrote.`,
    );
  }
  const parsed = DatabaseBackup.safeParse(json);
  if (!parsed.success)
    throw new InvalidInput(`${file} is not a Glimpse backup of a format this version reads.`);
  return parsed.data;
}
