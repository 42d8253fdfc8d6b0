import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/server-heap.ts';
import { describeLocalRepo, type LocalRepo } from '../../src/cli/simulate/local-repo.ts';
import { connectRepoPayload, pullRequestPayload } from '../../src/cli/simulate/simulated-deliveries.ts';
import { environmentName } from '../../src/domain/environment-name.ts';
import { createAppRepo } from '../../test/local-runtime/support/app-repo.ts';
import { freePort } from '../../test/support/glimpse-process.ts';
import { createScratchPostgres } from '../../test/support/test-database.ts';
import { signDelivery } from '../webhook-ingest/deliveries.ts';
import { postOnce } from '../webhook-ingest/load.ts';
import { pollUntil2xx } from './first-response.ts';
import { processMemoryMb } from './process-memory.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const SECRET = 'many-previews-bench-secret-0123456789';
const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';
const SAMPLE_MS = 50;
/** How long the server settles after its banner before its idle memory is read. */
const SETTLE_MS = 3_000;
const SERVE_TIMEOUT_MS = 300_000;

/** What one `glimpse serve` did: start times, memory, and the time until every preview served. */
export interface ManyPreviewsResult {
  database: 'embedded' | 'PostgreSQL';
  /** From spawning `glimpse serve` on a data dir that does not exist to its banner, ms. */
  freshStartMs: number;
  /** The same on the data dir it left, ms. */
  restartMs: number;
  /** Resident memory SETTLE_MS after the banner, MB. */
  idleRssMb: number;
  /** Highest resident memory sampled while the previews opened (after the first start), MB. */
  openingPeakRssMb: number;
  /** VmHWM at the end: the highest resident memory of the whole run, the first start included, MB. */
  highWaterMb: number;
  /** From posting the deliveries to the last preview's first 2xx through the proxy, ms. */
  allServingMs: number;
}

/**
 * The README's setup, measured: `glimpse serve` as its launchers start it (SERVER_NODE_FLAGS, default
 * settings, local runtime) on a fresh data dir, `prs` pull requests opened at once with signed deliveries,
 * each polled through the proxy until it answers 2xx, with the server's resident memory sampled meanwhile;
 * then stopped and started again on the same data dir. `databaseUrl` unset: the embedded database.
 */
export async function measureManyPreviews(prs: number, databaseUrl?: string): Promise<ManyPreviewsResult> {
  const temp = mkdtempSync(path.join(tmpdir(), 'glimpse-bench-many-'));
  try {
    const repoDir = path.join(temp, 'preview-app');
    createAppRepo(repoDir).commit('v1', { '.glimpse.yml': GLIMPSE_YML });
    const repo = await describeLocalRepo(repoDir);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      GLIMPSE_DATA_DIR: path.join(temp, 'data'),
      GLIMPSE_PORT: String(await freePort()),
      GLIMPSE_PROXY_PORT: String(await freePort()),
      GLIMPSE_ALLOW_FILE_REPOS: '1',
      GITHUB_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
    };
    // `serve` on PostgreSQL does not create the data dir yet (issue 13, §7); the embedded database does.
    if (databaseUrl !== undefined) mkdirSync(env.GLIMPSE_DATA_DIR);
    const first = await startServer(env);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const idleRssMb = processMemoryMb(first.pid).rss;
    const webhookPort = Number(env.GLIMPSE_PORT);
    const opened = await openAll(webhookPort, Number(env.GLIMPSE_PROXY_PORT), repo, prs, first.pid);
    const highWaterMb = processMemoryMb(first.pid).peak;
    await first.stop();
    const second = await startServer(env);
    await second.stop();
    return {
      database: databaseUrl === undefined ? 'embedded' : 'PostgreSQL',
      freshStartMs: first.startMs,
      restartMs: second.startMs,
      idleRssMb,
      openingPeakRssMb: opened.peakRssMb,
      highWaterMb,
      allServingMs: opened.allServingMs,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** The same round on a scratch PostgreSQL database of the server at `serverUrl`. */
export async function measureManyPreviewsOnPostgres(prs: number): Promise<ManyPreviewsResult> {
  const scratch = await createScratchPostgres();
  try {
    return await measureManyPreviews(prs, scratch.url);
  } finally {
    await scratch.drop();
  }
}

async function openAll(
  webhookPort: number,
  proxyPort: number,
  repo: LocalRepo,
  prs: number,
  pid: number,
): Promise<{ allServingMs: number; peakRssMb: number }> {
  const install = signDelivery(SECRET, 'installation_repositories', connectRepoPayload(repo));
  const installed = await postOnce(webhookPort, install);
  if (installed !== 200) throw new Error(`connecting the repository answered ${installed}, expected 200`);
  let peakRssMb = processMemoryMb(pid).rss;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, processMemoryMb(pid).rss);
  }, SAMPLE_MS);
  try {
    const numbers = Array.from({ length: prs }, (_, i) => i + 1);
    const t0 = performance.now();
    await Promise.all(
      numbers.map(async (number) => {
        const delivery = signDelivery(
          SECRET,
          'pull_request',
          pullRequestPayload(repo, 'opened', number, new Date()),
        );
        const status = await postOnce(webhookPort, delivery);
        if (status !== 202) throw new Error(`pull_request ${number} answered ${status}, expected 202`);
        await pollUntil2xx(
          proxyPort,
          `${environmentName(repo.fullName, number)}.localhost`,
          SERVE_TIMEOUT_MS,
        );
      }),
    );
    return { allServingMs: performance.now() - t0, peakRssMb: Math.max(peakRssMb, processMemoryMb(pid).rss) };
  } finally {
    clearInterval(sampler);
  }
}

/** Spawns `glimpse serve` and resolves once it printed its banner. */
async function startServer(
  env: Record<string, string>,
): Promise<{ pid: number; startMs: number; stop(): Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`glimpse serve exited (${code}) before listening:\n${output}`)),
    );
  });
  const startMs = performance.now() - t0;
  return {
    pid: child.pid ?? 0,
    startMs,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
