import { randomUUID } from 'node:crypto';
import { Argument, type Command } from 'commander';
import { type Config, loadConfig } from '../../config/config.ts';
import { environmentName } from '../../domain/environment-name.ts';
import { InvalidInput, NotFound, Unavailable } from '../../domain/errors.ts';
import { signBody } from '../../domain/verify-signature.ts';
import { readWebhookSecret, resolveWebhookSecret } from '../../github/webhook-secret.ts';
import { WEBHOOK_PATH } from '../../http/routes/webhook-route.ts';
import type { PreviewOperations } from '../../services/preview-operations.ts';
import type { CliIo } from '../cli-io.ts';
import { withOperatorOperations } from '../operator-operations.ts';
import { type ServerFlags, serverOperations } from '../server-target.ts';
import { describeLocalRepo } from '../simulate/local-repo.ts';
import {
  connectRepoPayload,
  pullRequestPayload,
  type SimulatedAction,
} from '../simulate/simulated-deliveries.ts';

const WAIT_MS = 15 * 60_000;
const LOCAL_POLL_MS = 250;
/** Each read of another server counts against the token's rate limit (GLIMPSE_API_RATE_LIMIT). */
const REMOTE_POLL_MS = 1_000;

interface SimulateOptions extends ServerFlags {
  repo: string;
  number: string;
  wait: boolean;
}

/** `glimpse simulate pull-request …`: the whole loop without GitHub, from a git repo on this machine. */
export function registerSimulateCommand(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('try Glimpse without GitHub: send the webhooks GitHub would')
    .command('pull-request')
    .description("send a signed pull_request webhook for a local git repo's HEAD, then wait for the preview")
    .addArgument(
      new Argument('<action>', 'what happened to the pull request').choices([
        'opened',
        'synchronize',
        'closed',
      ]),
    )
    .requiredOption('--repo <path>', 'a local git repository')
    .requiredOption('--number <n>', 'the pull request number')
    .option('--server <url>', 'the Glimpse server (default: this machine, GLIMPSE_PORT)')
    .option('--token <token>', 'API token for --server, to wait for the preview (default: GLIMPSE_TOKEN)')
    .option('--no-wait', 'send and return without waiting for the preview')
    .action(async (action: string, options: SimulateOptions) => {
      await simulatePullRequest(io, action as SimulatedAction, options);
    });
}

async function simulatePullRequest(
  io: CliIo,
  action: SimulatedAction,
  options: SimulateOptions,
): Promise<void> {
  const number = Number(options.number);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidInput(`--number must be a positive whole number, got "${options.number}".`);
  const config = loadConfig(io.env, io.cwd);
  const server = (options.server ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
  // Only --server names another server (not GLIMPSE_URL). What it needs is checked before anything is sent.
  const remote = options.server !== undefined && options.wait ? serverOperations(io, options) : undefined;
  const secret =
    options.server === undefined
      ? (await resolveWebhookSecret(config)).value
      : await otherServersSecret(config, server);
  const repo = await describeLocalRepo(options.repo);
  await remote?.me();
  const send = (event: string, payload: Record<string, unknown>) =>
    deliver(`${server}${WEBHOOK_PATH}`, secret, event, payload);

  let answer = await send('pull_request', pullRequestPayload(repo, action, number, new Date()));
  if (answer.ignored === 'repository not connected' || answer.ignored === 'repository disconnected') {
    await send('installation_repositories', connectRepoPayload(repo));
    io.stdout(`Connected ${repo.fullName} (${repo.cloneUrl}).\n`);
    answer = await send('pull_request', pullRequestPayload(repo, action, number, new Date()));
  }
  if (answer.ignored !== undefined) {
    io.stdout(`Glimpse ignored it: ${answer.ignored}.\n`);
    return;
  }
  io.stdout(`Sent pull_request ${action} for ${repo.fullName}#${number} at ${repo.headSha.slice(0, 7)}.\n`);
  if (!options.wait) return;
  const ref = answer.environments?.[0] ?? environmentName(repo.fullName, number);
  if (remote !== undefined) await waitOnServer(io, remote, server, ref, `${repo.fullName}#${number}`);
  else await withOperatorOperations(io, (ops) => waitForEnvironment(io, ops, ref, LOCAL_POLL_MS));
}

/** Never generated here: a new secret would not be the other server's. */
async function otherServersSecret(config: Config, server: string): Promise<string> {
  const secret = await readWebhookSecret(config);
  if (secret === undefined)
    throw new InvalidInput(
      `Signing a webhook for ${server} needs that server's webhook secret: set GITHUB_WEBHOOK_SECRET to it.`,
    );
  return secret.value;
}

async function waitOnServer(
  io: CliIo,
  ops: PreviewOperations,
  server: string,
  ref: string,
  pullRequest: string,
) {
  try {
    await waitForEnvironment(io, ops, ref, REMOTE_POLL_MS);
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
    throw new NotFound(
      `${server} accepted the webhook but does not show the preview of ${pullRequest} to the token's user: use an administrator's token, or add the user to the team "local".`,
    );
  }
}

async function deliver(
  url: string,
  secret: string,
  event: string,
  payload: Record<string, unknown>,
): Promise<{ ignored?: string; environments?: string[] }> {
  const body = JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signBody(secret, body),
      },
      body,
    });
  } catch (error) {
    throw new Unavailable(
      `Cannot reach Glimpse at ${url} (${describeFetchError(error)}): is "npm start" running? ` +
        'If it listens on another port, run this command with the same GLIMPSE_PORT, or name it with --server <url>.',
    );
  }
  const answer = (await response.json().catch(() => ({}))) as {
    ignored?: string;
    environments?: string[];
    error?: { message?: string };
  };
  if (!response.ok) {
    const hint = response.status === 401 ? " Set GITHUB_WEBHOOK_SECRET to the server's." : '';
    throw new Unavailable(
      `Glimpse answered ${response.status}: ${answer.error?.message ?? 'no details'}${hint}`,
    );
  }
  return answer;
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED …) is its cause. */
function describeFetchError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** Polls the environment until the controller is done with it, printing each phase it passes. */
async function waitForEnvironment(
  io: CliIo,
  ops: PreviewOperations,
  ref: string,
  pollMs: number,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  for (;;) {
    const env = await ops.getEnvironment(ref);
    const line = `${env.phase}${env.statusDetail ? ` (${env.statusDetail})` : ''}`;
    if (line !== last) io.stdout(`  ${env.namespace}: ${line}\n`);
    last = line;
    if (env.settled) {
      if (env.phase === 'running') io.stdout(`\nPreview: ${env.url}\n`);
      if (env.phase === 'failed')
        throw new Unavailable(`The preview failed: ${env.error ?? 'no reason recorded'}`);
      return;
    }
    if (Date.now() > deadline)
      throw new Unavailable(`Gave up waiting for ${env.namespace} after ${WAIT_MS / 60_000} minutes.`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
