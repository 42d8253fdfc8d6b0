import { randomUUID } from 'node:crypto';
import { Argument, type Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { openClientDatabase } from '../../db/connect-database.ts';
import { eq } from '../../db/drizzle-orm.ts';
import { environments } from '../../db/schema.ts';
import { environmentName } from '../../domain/environment-name.ts';
import { InvalidInput, Unavailable } from '../../domain/errors.ts';
import { signBody } from '../../domain/verify-signature.ts';
import { resolveWebhookSecret } from '../../github/webhook-secret.ts';
import { WEBHOOK_PATH } from '../../http/routes/webhook-route.ts';
import type { CliIo } from '../cli-io.ts';
import { describeLocalRepo } from '../simulate/local-repo.ts';
import {
  connectRepoPayload,
  pullRequestPayload,
  type SimulatedAction,
} from '../simulate/simulated-deliveries.ts';

const WAIT_MS = 15 * 60_000;

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
    .option('--no-wait', 'send and return without waiting for the preview')
    .action(
      async (action: string, options: { repo: string; number: string; server?: string; wait: boolean }) => {
        await simulatePullRequest(io, action as SimulatedAction, options);
      },
    );
}

async function simulatePullRequest(
  io: CliIo,
  action: SimulatedAction,
  options: { repo: string; number: string; server?: string; wait: boolean },
): Promise<void> {
  const number = Number(options.number);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidInput(`--number must be a positive whole number, got "${options.number}".`);
  const config = loadConfig(io.env, io.cwd);
  const server = (options.server ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
  const secret = (await resolveWebhookSecret(config)).value;
  const repo = await describeLocalRepo(options.repo);
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
  if (options.wait) await waitForEnvironment(io, environmentName(repo.fullName, number));
}

async function deliver(
  url: string,
  secret: string,
  event: string,
  payload: Record<string, unknown>,
): Promise<{ ignored?: string }> {
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
      `Cannot reach Glimpse at ${url} (${(error as Error).message}): is "npm start" running?`,
    );
  }
  const answer = (await response.json().catch(() => ({}))) as {
    ignored?: string;
    error?: { message?: string };
  };
  if (!response.ok) {
    throw new Unavailable(`Glimpse answered ${response.status}: ${answer.error?.message ?? 'no details'}`);
  }
  return answer;
}

/** Polls the environment until the controller is done with it, printing each phase it passes. */
async function waitForEnvironment(io: CliIo, namespace: string): Promise<void> {
  const handle = await openClientDatabase(loadConfig(io.env, io.cwd));
  try {
    const deadline = Date.now() + WAIT_MS;
    let last = '';
    for (;;) {
      const [env] = await handle.db.select().from(environments).where(eq(environments.namespace, namespace));
      const done = env !== undefined && env.generation === env.observedGeneration && env.leaseOwner === null;
      const line = env === undefined ? '' : `${env.phase}${env.statusDetail ? ` (${env.statusDetail})` : ''}`;
      if (line !== '' && line !== last) io.stdout(`  ${namespace}: ${line}\n`);
      last = line;
      if (done) {
        if (env.phase === 'running') io.stdout(`\nPreview: ${env.url}\n`);
        if (env.phase === 'failed')
          throw new Unavailable(`The preview failed: ${env.error ?? 'no reason recorded'}`);
        return;
      }
      if (Date.now() > deadline)
        throw new Unavailable(`Gave up waiting for ${namespace} after ${WAIT_MS / 60_000} minutes.`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await handle.close();
  }
}
