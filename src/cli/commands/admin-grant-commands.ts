import type { Command } from 'commander';
import { setGlimpseAdmin } from '../../services/users.ts';
import { type CliIo, printJson } from '../cli-io.ts';
import { withClientDatabase } from '../with-client-database.ts';

/** `glimpse users grant-admin|revoke-admin <login>`: Glimpse administrators may do everything. */
export function registerAdminGrants(users: Command, io: CliIo): void {
  for (const [name, isAdmin] of [
    ['grant-admin', true],
    ['revoke-admin', false],
  ] as const) {
    users
      .command(`${name} <github-login>`)
      .description(
        isAdmin ? 'make a user a Glimpse administrator' : 'take Glimpse administration away from a user',
      )
      .option('--json', 'print JSON')
      .action(async (login: string, options: { json?: boolean }) => {
        const result = await withClientDatabase(io, (db) => setGlimpseAdmin(db, login, isAdmin));
        if (options.json) printJson(io, result);
        else io.stdout(`${result.login} ${isAdmin ? 'is now' : 'is no longer'} a Glimpse administrator.\n`);
      });
  }
}
