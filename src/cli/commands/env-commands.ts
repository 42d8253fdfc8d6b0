import { type Command, Option } from 'commander';
import { PHASES } from '../../domain/vocabulary.ts';
import type {
  AcceptedView,
  EnvironmentDetail,
  EnvironmentView,
} from '../../services/environments/environment-schemas.ts';
import type { EventView } from '../../services/environments/event-schemas.ts';
import type { PreviewOperations } from '../../services/preview-operations.ts';
import { type CliIo, printJson, printTable } from '../cli-io.ts';
import { withOperatorOperations } from '../operator-operations.ts';
import { requireServer, type ServerFlags, serverOperations } from '../server-target.ts';

interface Flags extends ServerFlags {
  json?: boolean;
}

/** Runs `work` on the server's REST API when one is named, else straight on the database as the operator. */
export async function withOperations<T>(
  io: CliIo,
  flags: ServerFlags,
  work: (ops: PreviewOperations) => Promise<T>,
) {
  const remote = serverOperations(io, flags);
  if (remote !== undefined) return work(remote);
  return withOperatorOperations(io, work);
}

export const serverOptions = (command: Command) =>
  command
    .option('--server <url>', 'a Glimpse server to ask (default: GLIMPSE_URL; unset: the database)')
    .option('--token <token>', 'API token for --server (default: GLIMPSE_TOKEN)')
    .option('--json', 'print JSON');

/**
 * For commands that only a running server can answer (logs live with the server's runtime; changes are
 * made as a user): the help says so, and what to pass.
 */
const requiredServerOptions = (command: Command) =>
  command
    .option(
      '--server <url>',
      'the running Glimpse server, e.g. http://localhost:3000 (required; default: GLIMPSE_URL)',
    )
    .option(
      '--token <token>',
      'API token of a user who sees the environment (required; default: GLIMPSE_TOKEN; make one with "glimpse tokens create <login>")',
    )
    .option('--json', 'print JSON');

/** `glimpse env ls|show|logs|retry|redeploy|delete`: the same operations as the API and MCP tools. */
export function registerEnvCommands(program: Command, io: CliIo): void {
  const env = program.command('env').description('preview environments');

  serverOptions(env.command('ls').description('list environments, newest activity first'))
    .addOption(new Option('--status <phase>', 'only this phase').choices(PHASES))
    .option('--repo <owner/name>', 'only this repository')
    .option('-q, --query <text>', 'text in the PR title, branch or namespace')
    .option('--limit <n>', 'how many (1-100)', '50')
    .action(async (flags: Flags & { status?: string; repo?: string; query?: string; limit: string }) => {
      const page = await withOperations(io, flags, (ops) =>
        ops.listEnvironments({
          limit: Number(flags.limit),
          ...(flags.status === undefined ? {} : { status: flags.status as EnvironmentView['phase'] }),
          ...(flags.repo === undefined ? {} : { repo: flags.repo }),
          ...(flags.query === undefined ? {} : { q: flags.query }),
        }),
      );
      if (flags.json) return printJson(io, page);
      printTable(
        io,
        ['REPO', 'PR', 'PHASE', 'HEAD', 'URL', 'UPDATED'],
        page.items.map((e) => [
          e.repo,
          `#${e.prNumber}`,
          e.phase,
          e.headSha.slice(0, 7),
          e.url ?? '-',
          e.updatedAt,
        ]),
        'No environments.',
      );
    });

  serverOptions(
    env.command('show <ref>').description('one environment (id or namespace) and its deployments'),
  ).action(async (ref: string, flags: Flags) => {
    const detail = await withOperations(io, flags, (ops) => ops.getEnvironment(ref));
    if (flags.json) printJson(io, detail);
    else printDetail(io, detail);
  });

  serverOptions(
    env
      .command('events <ref>')
      .description(
        'the timeline of an environment (id or namespace): why each change happened, oldest first',
      ),
  )
    .option('--limit <n>', 'how many (1-200)', '200')
    .action(async (ref: string, flags: Flags & { limit: string }) => {
      const page = await withOperations(io, flags, (ops) =>
        ops.listEvents(ref, { limit: Number(flags.limit) }),
      );
      if (flags.json) return printJson(io, page);
      printEvents(io, page.items);
    });

  requiredServerOptions(
    env
      .command('logs <ref>')
      .description(
        'log lines of an environment (id or namespace), read from the running server that runs it: needs --server and --token, or GLIMPSE_URL and GLIMPSE_TOKEN',
      ),
  )
    .option('-f, --follow', 'keep printing new lines until the environment is gone')
    .option('--tail <lines>', 'lines from the end (1-10000)', '500')
    .option('--no-timestamps', 'without times')
    .action(async (ref: string, flags: Flags & { follow?: boolean; tail: string; timestamps: boolean }) => {
      const ops = requireServer(io, flags, 'env logs');
      const request = { tailLines: Number(flags.tail), timestamps: flags.timestamps };
      if (!flags.follow) {
        io.stdout(await ops.readLogs(ref, request));
        return;
      }
      for await (const line of await ops.followLogs(ref, request)) io.stdout(`${line}\n`);
    });

  for (const action of ['retry', 'redeploy', 'delete'] as const) {
    const description = {
      retry: 'retry the failed deployment of an environment',
      redeploy: 'deploy the head commit of an environment again',
      delete: 'delete an environment (team admins and owners)',
    }[action];
    requiredServerOptions(
      env
        .command(`${action} <ref>`)
        .description(`${description} (through a running server: --server and --token)`),
    ).action(async (ref: string, flags: Flags) => {
      const accepted = await requireServer(io, flags, `env ${action}`)[action](ref);
      if (flags.json) printJson(io, accepted);
      else io.stdout(acceptedText(accepted));
    });
  }

  requiredServerOptions(
    env
      .command('deploy <owner/repo> <pr>')
      .description(
        'deploy a pull request without the opt-in label (through a running server: --server and --token)',
      ),
  ).action(async (repoFullName: string, pr: string, flags: Flags) => {
    const accepted = await requireServer(io, flags, 'env deploy').deploy({
      repoFullName,
      prNumber: Number(pr),
    });
    if (flags.json) printJson(io, accepted);
    else io.stdout(acceptedText(accepted));
  });
}

/** A timeline as a table: time, type, reason and the sentence. */
export function printEvents(io: CliIo, events: readonly EventView[]): void {
  printTable(
    io,
    ['TIME', 'TYPE', 'REASON', 'MESSAGE'],
    events.map((e) => [e.time, e.type, e.reason, e.message.replaceAll('\n', ' ')]),
    'No events.',
  );
}

function acceptedText(accepted: AcceptedView): string {
  const env = accepted.environment;
  const what = { retry: 'Retry', redeploy: 'Redeploy', delete: 'Deletion', deploy: 'Deployment' }[
    accepted.action
  ];
  return `${what} of ${env.namespace} (${env.repo}#${env.prNumber}) requested; it proceeds in the background.\n`;
}

function printDetail(io: CliIo, e: EnvironmentDetail): void {
  const usage = e.resources.usage;
  const rows: [string, string][] = [
    ['namespace', e.namespace],
    ['id', e.id],
    ['pull request', `${e.repo}#${e.prNumber} ${e.prTitle ?? ''}`.trim()],
    ['branch', e.branch ?? '-'],
    ['phase', e.phase],
    ['url', e.url ?? '-'],
    ['head', e.headSha],
    ['deployed', e.deployedSha ?? '-'],
    ['error', e.error ?? '-'],
    ['updated', e.updatedAt],
    ['limits', `cpu ${e.resources.limits.cpu}, memory ${e.resources.limits.memory}`],
    [
      'usage',
      usage === null
        ? (e.resources.usageUnavailableReason ?? 'unknown')
        : `cpu ${usage.cpuMillicores ?? '?'}m, memory ${usage.memoryBytes === null ? '?' : `${Math.round(usage.memoryBytes / 1048576)}Mi`}`,
    ],
    ...e.warnings.map((w): [string, string] => ['warning', w]),
  ];
  // A value of several lines (an error with the app's last output) stays under its column.
  io.stdout(
    `${rows.map(([k, v]) => `${k.padEnd(13)}${v.replaceAll('\n', `\n${' '.repeat(13)}`)}`).join('\n')}\n\n`,
  );
  printTable(
    io,
    ['DEPLOYMENT', 'COMMIT', 'STATUS', 'TRIGGER', 'BY', 'CREATED'],
    e.deployments.map((d) => [
      d.id.slice(0, 8),
      d.commitSha.slice(0, 7),
      d.status,
      d.trigger,
      d.actor ?? '-',
      d.createdAt,
    ]),
    'No deployments yet.',
  );
}
