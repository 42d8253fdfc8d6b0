import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type App, type AppDeps, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type ResyncReport, resync } from '../../src/controller/resync.ts';
import { eq } from '../../src/db/drizzle-orm.ts';
import { deployments, environments } from '../../src/db/schema.ts';
import { createGithubApp } from '../../src/github/create-github-app.ts';
import { createGithubClient, type GithubClient } from '../../src/github/github-client.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhook-route.ts';
import { GlimpseMetrics } from '../../src/metrics/glimpse-metrics.ts';
import { detectSandbox } from '../../src/runtimes/local/choose-sandbox.ts';
import { detectLimits } from '../../src/runtimes/local/limit-enforcement.ts';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { connectRepo, INSTALLATION } from './connect-repo.ts';
import { type GithubSimulator, startGithubSimulator } from './github-sim/start-github-simulator.ts';
import { createTestDatabase, type DatabaseTarget, type TestDatabase } from './test-database.ts';
import { waitFor } from './wait-for.ts';
import { deepMerge, type Overrides, sendWebhook, type WebhookResponse } from './webhook-sender.ts';

export const HARNESS_SECRET = 'harness-webhook-secret-0123456789';

/** Short timings so tests run in seconds; production defaults live in the runtime's options. */
const FAST_LOCAL_TIMING = {
  healthIntervalMs: 50,
  stopGraceMs: 1_000,
  restartBackoffMs: 50,
  drainMs: 500,
  followIntervalMs: 50,
  cpuSampleMs: 50,
};

export interface GlimpseHarness {
  app: App;
  url: string;
  database: TestDatabase;
  github: GithubSimulator;
  /** The GitHub client Glimpse uses, talking to the simulator. */
  githubClient: GithubClient;
  runtime: Runtime;
  /** What Glimpse counts (served at /metrics, or on GLIMPSE_METRICS_PORT). */
  metrics: GlimpseMetrics;
  logLines: string[];
  /** Connects `fullName`, served by the simulator from `gitDir`; returns its GitHub id. */
  connectRepo(fullName: string, gitDir: string): Promise<number>;
  /** Sends a signed pull_request delivery built from the real example payload. */
  pullRequest(action: string, pr: PullRequestFields, extra?: Overrides): Promise<WebhookResponse>;
  /** Sends any other signed delivery (check_run, installation, ...) built from the real example payload. */
  deliver(event: string, action: string | undefined, overrides: Overrides): Promise<WebhookResponse>;
  /** Runs one resync pass now, as the periodic timer would. */
  resync(): Promise<ResyncReport>;
  environment(prNumber: number): Promise<typeof environments.$inferSelect>;
  deploymentsOf(prNumber: number): Promise<(typeof deployments.$inferSelect)[]>;
  waitForPhase(
    prNumber: number,
    phase: string,
    timeoutMs?: number,
  ): Promise<typeof environments.$inferSelect>;
  close(): Promise<void>;
}

export interface PullRequestFields {
  repo: { id: number; fullName: string; cloneUrl: string };
  number: number;
  sha: string;
  updatedAt: string;
  branch?: string;
  state?: 'open' | 'closed';
  /** The PR comes from this fork of the repo. */
  fork?: { id: number; fullName: string };
  labels?: string[];
}

/** Glimpse as `serve` builds it (controller, local runtime, GitHub App) against the GitHub simulator. */
export async function startGlimpseHarness(
  target: DatabaseTarget,
  options: {
    runtime?: Runtime;
    env?: Record<string, string>;
    controller?: AppDeps['controller'];
    /** Use this database instead of a fresh one (two Glimpse instances on one PostgreSQL database). */
    database?: TestDatabase;
    /** Use this GitHub simulator instead of a fresh one (left open on close). */
    github?: GithubSimulator;
    /** Use this data dir instead of a fresh one (left in place on close): Glimpse restarting on it. */
    dataDir?: string;
  } = {},
): Promise<GlimpseHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'glimpse-harness-'));
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  );
  const database = options.database ?? (await createTestDatabase(target));
  const github = options.github ?? (await startGithubSimulator());
  const config = loadConfig({
    GLIMPSE_DATA_DIR: dataDir,
    GLIMPSE_PUBLIC_URL: 'http://glimpse.test',
    ...options.env,
  });
  // As `glimpse serve` does: a preview that fails by itself reaches the controller, which tells the PR.
  let app: App | undefined;
  const metrics = new GlimpseMetrics();
  const runtime: Runtime =
    options.runtime ??
    (await createLocalRuntime({
      // As `glimpse serve` chooses it: bubblewrap where it works (forks are refused without a sandbox).
      sandbox: detectSandbox(config.local),
      limits: detectLimits(config.local),
      onPreviewFailed: (failure) => void app?.controller?.recordPreviewFailure(failure),
      dataDir,
      proxyPort: 0,
      publicUrl: config.publicUrl,
      childPath: config.local.searchPath,
      allowFileRepos: true,
      buildTimeoutMs: 30_000,
      healthTimeoutMs: 15_000,
      logger,
      timing: FAST_LOCAL_TIMING,
      metrics,
    }));
  const githubApp = createGithubApp({
    appId: github.appId,
    privateKey: github.privateKey,
    apiUrl: github.url,
    logger,
    retryBaseMs: 20,
    minWriteIntervalMs: 0,
    metrics,
  });
  const githubClient = createGithubClient(githubApp);
  app = createApp({
    // The App key is handed over below rather than through GITHUB_PRIVATE_KEY, so it is added here.
    config: { ...config, secrets: [...config.secrets, github.privateKey] },
    logger,
    database: database.handle,
    webhookSecret: HARNESS_SECRET,
    runtime,
    metrics,
    github: { app: githubApp, client: githubClient },
    controller: {
      pollMs: 200,
      leaseMs: 5_000,
      retryDelaysMs: [50, 100, 200],
      announceDelayMs: 0,
      ...options.controller,
    },
  });
  const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
  await app.start();
  const webhookUrl = `${base}${WEBHOOK_PATH}`;

  const environment = async (prNumber: number) => {
    const [row] = await database.handle.db
      .select()
      .from(environments)
      .where(eq(environments.prNumber, prNumber));
    if (row === undefined) throw new Error(`no environment for PR ${prNumber}`);
    return row;
  };

  return {
    app,
    url: base,
    database,
    github,
    runtime,
    metrics,
    githubClient,
    logLines,
    async connectRepo(fullName, gitDir) {
      const { id, response } = await connectRepo({
        github,
        webhookUrl,
        secret: HARNESS_SECRET,
        fullName,
        gitDir,
      });
      if (response.status !== 200) throw new Error(`connecting ${fullName} failed: ${response.status}`);
      return id;
    },
    async pullRequest(action, pr, extra = {}) {
      // The simulator holds the PR too, so comments and "which PRs are open" answer as GitHub would.
      if (action === 'closed') github.closePullRequest(pr.repo.fullName, pr.number);
      else {
        await github.openPullRequest({
          repo: pr.repo.fullName,
          number: pr.number,
          headRef: pr.branch ?? `feature-${pr.number}`,
          headSha: pr.sha,
        });
      }
      return sendWebhook({
        url: webhookUrl,
        secret: HARNESS_SECRET,
        event: 'pull_request',
        action: action === 'labeled' || action === 'unlabeled' || action === 'closed' ? action : 'opened',
        overrides: deepMerge(pullRequestOverrides(action, pr), extra),
      });
    },
    deliver: (event, action, overrides) =>
      sendWebhook({
        url: webhookUrl,
        secret: HARNESS_SECRET,
        event,
        ...(action === undefined ? {} : { action }),
        overrides,
      }),
    resync: () => resync({ db: database.handle.db, runtime, github: githubClient, logger }),
    environment,
    async deploymentsOf(prNumber) {
      const env = await environment(prNumber);
      return database.handle.db
        .select()
        .from(deployments)
        .where(eq(deployments.environmentId, env.id))
        .orderBy(deployments.createdAt);
    },
    async waitForPhase(prNumber, phase, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const env = await environment(prNumber).catch(() => undefined);
          return env?.phase === phase && env.generation === env.observedGeneration ? env : undefined;
        },
        timeoutMs,
        `PR ${prNumber} to be ${phase}`,
      );
    },
    async close() {
      await app.close();
      if (options.github === undefined) await github.close();
      if (options.database === undefined) await database.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The fields of a pull_request delivery (over the example payload) for `pr` in the test installation. */
export function pullRequestOverrides(action: string, pr: PullRequestFields): Overrides {
  const headRepo = pr.fork ?? pr.repo;
  return {
    action,
    number: pr.number,
    repository: {
      id: pr.repo.id,
      full_name: pr.repo.fullName,
      clone_url: pr.repo.cloneUrl,
      default_branch: 'main',
    },
    installation: { id: INSTALLATION.id },
    pull_request: {
      number: pr.number,
      state: pr.state ?? (action === 'closed' ? 'closed' : 'open'),
      updated_at: pr.updatedAt,
      head: {
        sha: pr.sha,
        ref: pr.branch ?? `feature-${pr.number}`,
        repo: { id: headRepo.id, full_name: headRepo.fullName },
      },
      base: { ref: 'main', repo: { id: pr.repo.id, full_name: pr.repo.fullName } },
      labels: (pr.labels ?? []).map((name) => ({ name })),
      draft: false,
    },
  };
}

/** GET through the local runtime's proxy with the preview's Host header. */
export function getPreview(
  runtime: LocalRuntime,
  namespace: string,
  urlPath = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: runtime.proxyPort,
        path: urlPath,
        headers: { host: `${namespace}.localhost` },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
  });
}
