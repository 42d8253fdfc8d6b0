import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { openClientDatabase } from '../../db/connect-database.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { type CliIo, printJson } from '../cli-io.ts';

export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      const handle = await openClientDatabase(config);
      try {
        const { applied } = await migrateDatabase(handle);
        if (options.json) printJson(io, { applied, database: handle.description });
        else
          io.stdout(
            `${applied === 0 ? 'Database is up to date' : `Applied ${applied} migration(s)`}: ${handle.description}.\n`,
          );
      } finally {
        await handle.close();
      }
    });
}
