import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { APP_MANIFEST_START_PATH } from '../../domain/github-app-manifest.ts';
import { issueTicket } from '../../services/github-app/connect-ticket.ts';
import { loadGithubApp } from '../../services/github-app/github-app-store.ts';
import { createSecretBox } from '../../services/github-app/secret-box.ts';
import { resolveSecretKey } from '../../services/github-app/secret-key.ts';
import { withStoredGithubApp } from '../../services/github-app/with-stored-github-app.ts';
import { type CliIo, printJson } from '../cli-io.ts';
import { withClientDatabase } from '../with-client-database.ts';

export function registerGithubCommands(program: Command, io: CliIo): void {
  const github = program.command('github').description('the GitHub App Glimpse runs as');

  github
    .command('connect')
    .description(
      "print a link that creates Glimpse's GitHub App on GitHub and stores it here (valid one hour)",
    )
    .option('--organization <org>', 'create the App for this organisation (default: your user account)')
    .option('--name <name>', 'the App\'s name on GitHub (default: "Glimpse <host>")')
    .option('--json', 'print JSON')
    .action(async (options: { organization?: string; name?: string; json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      const box = createSecretBox((await resolveSecretKey(config)).value);
      const ticket = issueTicket(
        box,
        {
          purpose: 'start',
          ...(options.organization === undefined ? {} : { organization: options.organization }),
          ...(options.name === undefined ? {} : { name: options.name }),
        },
        Date.now(),
      );
      const url = `${config.publicUrl}${APP_MANIFEST_START_PATH}?ticket=${encodeURIComponent(ticket)}`;
      if (options.json) {
        printJson(io, { url });
        return;
      }
      io.stdout(
        `Open this link in a browser signed in to GitHub${options.organization === undefined ? '' : ` as an owner of ${options.organization}`} ` +
          `(valid for one hour):\n\n  ${url}\n\n` +
          'GitHub creates the App and sends you back to Glimpse, which stores it encrypted. Restart Glimpse to use it,\n' +
          'then install the App on the repositories that should get previews.\n',
      );
    });

  github
    .command('status')
    .description('which GitHub App Glimpse uses, and where its credentials come from')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      const box = createSecretBox((await resolveSecretKey(config)).value);
      const stored = await withClientDatabase(io, (db) => loadGithubApp(db, box));
      const { config: effective, sources } = withStoredGithubApp(config, stored);
      const appId = effective.github.app?.appId;
      const status = {
        appId: appId ?? null,
        sources,
        apiUrl: effective.github.apiUrl,
        stored:
          stored === undefined
            ? null
            : {
                appId: stored.appId,
                slug: stored.slug,
                name: stored.name,
                owner: stored.owner,
                htmlUrl: stored.htmlUrl,
                apiUrl: stored.apiUrl,
                clientId: stored.clientId,
                connectedAt: stored.connectedAt.toISOString(),
              },
      };
      if (options.json) {
        printJson(io, status);
        return;
      }
      const lines =
        appId === undefined
          ? ['No GitHub App: run "glimpse github connect", or set GITHUB_APP_ID and GITHUB_PRIVATE_KEY.']
          : [
              sources.app === 'environment'
                ? `GitHub App ${appId} from the environment (GITHUB_APP_ID, GITHUB_PRIVATE_KEY), via ${effective.github.apiUrl}.`
                : `GitHub App ${appId} (${stored?.slug}) from the database: connected ${stored?.connectedAt.toISOString()}` +
                  `${stored?.owner ? ` for ${stored.owner}` : ''}, ${stored?.htmlUrl}.`,
            ];
      lines.push(`  webhook secret: ${sources.webhookSecret}; sign-in (OAuth client): ${sources.oauth}`);
      if (stored !== undefined && sources.app === 'environment')
        lines.push(
          `  (the environment wins over the App ${stored.appId} stored by "glimpse github connect")`,
        );
      io.stdout(`${lines.join('\n')}\n`);
    });
}
