import { type Command, Option } from 'commander';
import { TEAM_ROLES, type TeamRole } from '../../domain/vocabulary.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../services/api-tokens.ts';
import { createTeam, listTeams } from '../../services/teams.ts';
import { addUserToTeam, listUsers } from '../../services/users.ts';
import { type CliIo, printJson, printTable } from '../cli-io.ts';
import { withClientDatabase } from '../with-client-database.ts';
import { registerAdminGrants } from './admin-grant-commands.ts';

interface JsonFlag {
  json?: boolean;
}

/** `glimpse teams|users|tokens …`: operator commands that work straight against the database. */
export function registerAdminCommands(program: Command, io: CliIo): void {
  const teams = program.command('teams').description('manage teams (each owns repos and their previews)');
  teams
    .command('create <slug>')
    .description('create a team')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--json', 'print JSON')
    .action(async (slug: string, options: JsonFlag & { name?: string }) => {
      const team = await withClientDatabase(io, (db) => createTeam(db, { slug, name: options.name }));
      if (options.json) printJson(io, team);
      else io.stdout(`Created team ${team.slug} (${team.name}).\n`);
    });
  teams
    .command('ls')
    .description('list teams')
    .option('--json', 'print JSON')
    .action(async (options: JsonFlag) => {
      const list = await withClientDatabase(io, (db) => listTeams(db));
      if (options.json) printJson(io, list);
      else
        printTable(
          io,
          ['SLUG', 'NAME', 'MEMBERS', 'CREATED'],
          list.map((t) => [t.slug, t.name, String(t.members), t.createdAt.toISOString()]),
          'No teams yet: create one with "glimpse teams create <slug>".',
        );
    });

  const users = program.command('users').description('manage users');
  registerAdminGrants(users, io);
  users
    .command('add <github-login>')
    .description('add a user to a team (creating the user if needed)')
    .requiredOption('--team <slug>', 'the team to join')
    .addOption(new Option('--role <role>', 'role in the team').choices(TEAM_ROLES).default('member'))
    .option('--json', 'print JSON')
    .action(async (login: string, options: JsonFlag & { team: string; role: TeamRole }) => {
      const membership = await withClientDatabase(io, (db) =>
        addUserToTeam(db, { login, teamSlug: options.team, role: options.role }),
      );
      if (options.json) printJson(io, membership);
      else io.stdout(`${membership.login} is now ${membership.role} of team ${membership.team}.\n`);
    });

  users
    .command('ls')
    .description('list users with their teams and roles')
    .option('--json', 'print JSON')
    .action(async (options: JsonFlag) => {
      const list = await withClientDatabase(io, (db) => listUsers(db));
      if (options.json) printJson(io, list);
      else
        printTable(
          io,
          ['LOGIN', 'ADMIN', 'TEAMS', 'CREATED'],
          list.map((u) => [
            u.login,
            u.isAdmin ? 'yes' : 'no',
            u.teams.map((t) => `${t.team} (${t.role})`).join(', ') || '-',
            u.createdAt.toISOString(),
          ]),
          'No users yet: add one with "glimpse users add <github-login> --team <slug>".',
        );
    });

  const tokens = program.command('tokens').description('manage API tokens');
  tokens
    .command('ls')
    .description('list API tokens (never the tokens themselves: their first characters)')
    .option('--user <github-login>', "only this user's tokens")
    .option('--json', 'print JSON')
    .action(async (options: JsonFlag & { user?: string }) => {
      const list = await withClientDatabase(io, (db) =>
        listApiTokens(db, options.user === undefined ? {} : { login: options.user }),
      );
      if (options.json) printJson(io, list);
      else
        printTable(
          io,
          ['ID', 'USER', 'NAME', 'PREFIX', 'STATUS', 'LAST USED', 'CREATED'],
          list.map((t) => [
            t.id,
            t.login,
            t.kind === 'bootstrap' ? `${t.name} (one-time)` : t.name,
            `${t.prefix}…`,
            t.revokedAt === null ? 'active' : 'revoked',
            t.lastUsedAt?.toISOString() ?? 'never',
            t.createdAt.toISOString(),
          ]),
          'No tokens yet: create one with "glimpse tokens create <github-login>".',
        );
    });
  tokens
    .command('create <github-login>')
    .description('create an API token for a user; it is printed once and only its hash is kept')
    .option('--name <name>', 'what the token is for')
    .option('--json', 'print JSON')
    .action(async (login: string, options: JsonFlag & { name?: string }) => {
      const created = await withClientDatabase(io, (db) => createApiToken(db, { login, name: options.name }));
      if (options.json) printJson(io, created);
      else
        io.stdout(
          `Token ${created.id} for ${created.login} ("${created.name}"):\n\n  ${created.token}\n\n` +
            'Store it now: Glimpse keeps only its hash and cannot show it again.\n',
        );
    });
  tokens
    .command('revoke <id>')
    .description('revoke an API token')
    .option('--json', 'print JSON')
    .action(async (id: string, options: JsonFlag) => {
      const revoked = await withClientDatabase(io, (db) => revokeApiToken(db, id));
      if (options.json) printJson(io, { ...revoked, revoked: true });
      else io.stdout(`Revoked token ${revoked.id}.\n`);
    });
}
