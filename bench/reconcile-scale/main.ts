/**
 * How Glimpse's controller copes with many previews at once on Kubernetes. `npm run bench -- reconcile-scale`.
 *
 * Pull requests are opened at once through the real webhook endpoint of a Glimpse process (PostgreSQL in a
 * scratch database, GLIMPSE_MAX_CONCURRENT_DEPLOYS=50, GLIMPSE_MAX_CONCURRENT_DELETES=1000, GitHub write
 * spacing 0) against the GitHub simulator and a Kubernetes: the simulator (pods ready after 1 s; 500 PRs) and the real control plane of
 * test/support/kube-control-plane (kwok's pods ready at once; 1,000 PRs; Glimpse's requests counted from the API
 * server's audit log). Prints the time until all run, the Kubernetes and GitHub requests per environment, and
 * Glimpse's peak RSS; then closes them all and prints the time until every namespace is gone; then both targets
 * side by side. BENCH_KUBE=sim|real picks one (default both, or the simulator alone when `npm run kube:build` has
 * not run); BENCH_PRS changes the number of PRs; BENCH_PROFILE=<dir> writes a CPU profile of Glimpse.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from '../../src/cli/server-heap.ts';
import { sql } from '../../src/db/drizzle-orm.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhook-route.ts';
import { createGitRepo } from '../../test/support/create-git-repo.ts';
import { startGithubSimulator } from '../../test/support/github-sim/start-github-simulator.ts';
import { buildStampPath, kubeBuildDir } from '../../test/support/kube-control-plane/kube-binaries.ts';
import { createScratchPostgres } from '../../test/support/test-database.ts';
import { sendWebhook } from '../../test/support/webhook-sender.ts';
import { processMemoryMb } from '../local-preview/process-memory.ts';
import { POSTGRES_URL, postgresUnreachable } from '../webhook-ingest/targets.ts';
import { type BenchKube, type BenchKubeKind, startBenchKube, tally } from './bench-kube.ts';

const CONCURRENCY = 50;
/** Deletion slots (GLIMPSE_MAX_CONCURRENT_DELETES): every closed PR's DELETE goes out at once; waiting is free. */
const DELETE_CONCURRENCY = 1000;
const SEND_CONCURRENCY = 32;
const TARGETS: Record<BenchKubeKind, Targets> = {
  sim: { prs: 500, runningSeconds: 90, kubePerEnv: 20, githubPerEnv: 4, rssMb: 400, goneSeconds: 600 },
  real: { prs: 1000, runningSeconds: 60, kubePerEnv: 15, githubPerEnv: 4, rssMb: 400, goneSeconds: 60 },
};
interface Targets {
  prs: number;
  runningSeconds: number;
  kubePerEnv: number;
  githubPerEnv: number;
  rssMb: number;
  goneSeconds: number;
}
/** The figures of one run, for the side-by-side table. */
interface Figures {
  prs: number;
  running: number;
  runningSeconds: number;
  kubePerEnv: number;
  githubPerEnv: number;
  peakRssMb: number;
  goneSeconds: number;
  leftover: number;
  met: boolean;
}
const SECRET = 'reconcile-scale-webhook-secret-0123456789';
const INSTALLATION = { id: 4242, account: { login: 'acme', id: 9001 } };
const FULL_NAME = 'acme/shop';

process.env.TEST_DATABASE_URL ??= POSTGRES_URL;
const unreachable = await postgresUnreachable();
if (unreachable !== undefined) {
  console.log(`PostgreSQL not reachable (${unreachable}): reconcile-scale needs it.`);
  process.exit(1);
}

const kinds: BenchKubeKind[] =
  process.env.BENCH_KUBE === 'sim' || process.env.BENCH_KUBE === 'real'
    ? [process.env.BENCH_KUBE]
    : existsSync(buildStampPath(kubeBuildDir()))
      ? ['sim', 'real']
      : ['sim'];
if (!kinds.includes('real'))
  console.log('(the real control plane is not built: `npm run kube:build` adds its column)');
const results: [BenchKubeKind, Figures][] = [];
for (const kind of kinds) results.push([kind, await runScenario(kind)]);
printSideBySide(results);
process.exit(results.every(([, f]) => f.met) ? 0 : 1);

function failedRun(prs: number): Figures {
  const nan = Number.NaN;
  return {
    prs,
    running: 0,
    runningSeconds: nan,
    kubePerEnv: nan,
    githubPerEnv: nan,
    peakRssMb: nan,
    goneSeconds: nan,
    leftover: nan,
    met: false,
  };
}

function printSideBySide(rows: [BenchKubeKind, Figures][]): void {
  const label = (kind: BenchKubeKind) => (kind === 'sim' ? 'simulator' : 'real control plane');
  const line = (name: string, cell: (f: Figures, t: Targets) => string) =>
    console.log(`  ${name.padEnd(34)}${rows.map(([k, f]) => cell(f, TARGETS[k]).padEnd(26)).join('')}`);
  console.log('\nSide by side:');
  console.log(`  ${''.padEnd(34)}${rows.map(([k]) => label(k).padEnd(26)).join('')}`);
  line('pull requests', (f) => String(f.prs));
  line(
    'all running after',
    (f, t) => `${f.runningSeconds.toFixed(1)} s (${f.running}; < ${t.runningSeconds} s)`,
  );
  line('Kubernetes requests per preview', (f, t) => `${f.kubePerEnv.toFixed(1)} (<= ${t.kubePerEnv})`);
  line('GitHub requests per preview', (f, t) => `${f.githubPerEnv.toFixed(1)} (<= ${t.githubPerEnv})`);
  line('Glimpse peak RSS', (f, t) => `${f.peakRssMb.toFixed(0)} MB (< ${t.rssMb} MB)`);
  line(
    'namespaces gone after closing',
    (f, t) => `${f.goneSeconds.toFixed(1)} s (${f.leftover} left; < ${t.goneSeconds} s)`,
  );
  line('targets', (f) => (f.met ? 'met' : 'MISSED'));
}
async function runScenario(kind: BenchKubeKind): Promise<Figures> {
  const kube = await startBenchKube(kind);
  const PRS = Number(process.env.BENCH_PRS ?? TARGETS[kind].prs);
  const targets = TARGETS[kind];
  const github = await startGithubSimulator({ validateResponses: false });
  const git = createGitRepo({
    '.glimpse.yml': 'kubernetes:\n  image: ghcr.io/acme/shop:{sha}\n  port: 8080\n',
  });
  const { id: repoId } = await github.addRepo({ fullName: FULL_NAME, gitDir: git.dir, installationId: 4242 });
  // Each PR its own branch and commit, as in life: nothing can be shared between PRs by commit.
  const shas: string[] = [];
  for (let number = 1; number <= PRS; number++) {
    const headSha = git.commit({ 'app.txt': `pr ${number}` }, { branch: `pr-${number}` });
    shas[number] = headSha;
    await github.openPullRequest({ repo: FULL_NAME, number, headRef: `pr-${number}`, headSha });
  }
  const scratch = await createScratchPostgres();
  const db = openPostgres(scratch.url, { max: 2 });

  const glimpse = startGlimpse(scratch.url, kube, github);
  const onInterrupt = () => {
    glimpse.child.kill('SIGKILL');
    void scratch.drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  let figures: Figures | undefined;
  try {
    const port = await glimpse.ready;
    const rssAtStart = peakRssMb(glimpse.child);
    const webhookUrl = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
    const connected = await sendWebhook({
      url: webhookUrl,
      secret: SECRET,
      event: 'installation_repositories',
      action: 'added',
      overrides: {
        installation: INSTALLATION,
        repositories_added: [{ id: repoId, full_name: FULL_NAME }],
        repositories_removed: [],
      },
    });
    if (connected.status !== 200) throw new Error(`connecting the repo answered ${connected.status}`);
    kube.clearRequests();
    github.requests.length = 0;

    const opened = Date.now();
    await sendAll(PRS, (number) =>
      pullRequest(webhookUrl, repoId, shas, 'opened', number, '2024-01-01T00:00:00Z'),
    );
    const sentOpen = Date.now() - opened;
    // Settled: running, or failed for good (a failed preview is not retried, so waiting longer is pointless).
    await waitUntil(
      db,
      glimpse.child,
      `select count(*)::int as n from environments where phase in ('running', 'failed') and observed_generation = generation`,
      PRS,
      300_000,
    );
    const running = await count(
      db,
      `select count(*)::int as n from environments where phase = 'running' and observed_generation = generation`,
    );
    const runningMs = Date.now() - opened;
    const failed = await count(db, `select count(*)::int as n from environments where phase = 'failed'`);
    const failures = await queryRows<{ error: string; n: number }>(
      db.db,
      sql`select left(error, 160) as error, count(*)::int as n from environments where phase = 'failed' group by 1 order by 2 desc limit 5`,
    );
    const [durations] = await queryRows<{ p50: number; p90: number; max: number }>(
      db.db,
      sql`select percentile_cont(0.5) within group (order by s) as p50, percentile_cont(0.9) within group (order by s) as p90, max(s)::float8 as max
          from (select extract(epoch from finished_at - started_at)::float8 as s from deployments where status = 'succeeded') d`,
    );
    const deployRequests = kube.requests();
    const kubeRequests = deployRequests.total;
    const githubRequests = github.requests.length;
    const kubeByVerb = deployRequests.byVerb;
    const githubByRoute = tally(github.requests.map((r) => r.route ?? `${r.method} ${r.path}`));
    const rssAfterDeploy = peakRssMb(glimpse.child);
    const glimpseCpu = cpuSeconds(glimpse.child);
    const benchCpu = process.cpuUsage();

    kube.clearRequests();
    github.requests.length = 0;
    const closing = Date.now();
    for (let number = 1; number <= PRS; number++) github.closePullRequest(FULL_NAME, number);
    await sendAll(PRS, (number) =>
      pullRequest(webhookUrl, repoId, shas, 'closed', number, '2024-01-02T00:00:00Z'),
    );
    await waitUntil(
      db,
      glimpse.child,
      `select count(*)::int as n from environments where phase in ('deleted', 'failed') and observed_generation = generation`,
      PRS,
      600_000,
    );
    const deletedMs = Date.now() - closing;
    const closeKube = kube.requests().total;
    const leftover = await kube.previewNamespacesLeft();
    const closeGithub = github.requests.length;
    const peakRss = peakRssMb(glimpse.child);

    console.log(
      `\n${kind === 'sim' ? 'Kubernetes simulator (pods ready after 1 s)' : 'real control plane (kwok)'}: ${PRS} pull requests, GLIMPSE_MAX_CONCURRENT_DEPLOYS=${CONCURRENCY}`,
    );
    console.log(`  webhooks for ${PRS} opened PRs sent in  ${(sentOpen / 1000).toFixed(1)} s`);
    console.log(
      `  all running after                  ${(runningMs / 1000).toFixed(1)} s  (${running} running, ${failed} failed)`,
    );
    console.log(
      `  one deploy (start to running)      p50 ${durations?.p50.toFixed(1)} s, p90 ${durations?.p90.toFixed(1)} s, max ${durations?.max.toFixed(1)} s`,
    );
    console.log(
      `  CPU while deploying: Glimpse ${glimpseCpu.toFixed(1)} s, simulators and load ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`,
    );
    console.log(
      `  Kubernetes requests per preview    ${(kubeRequests / PRS).toFixed(1)}  (${kubeRequests} in all)`,
    );
    console.log(
      `  GitHub requests per preview        ${(githubRequests / PRS).toFixed(1)}  (${githubRequests} in all)`,
    );
    console.log(`  Glimpse RSS once started           ${rssAtStart.toFixed(0)} MB`);
    console.log(`  Glimpse peak RSS after deploying   ${rssAfterDeploy.toFixed(0)} MB`);
    console.log(
      `  all namespaces gone after closing  ${(deletedMs / 1000).toFixed(1)} s  (${leftover} left)`,
    );
    console.log(
      `  close: Kubernetes ${(closeKube / PRS).toFixed(1)}, GitHub ${(closeGithub / PRS).toFixed(1)} requests per preview`,
    );
    console.log(`  Glimpse peak RSS overall           ${peakRss.toFixed(0)} MB`);
    const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
    const m = glimpse.memory;
    console.log(
      `    at the highest sample: heap ${mb(m.heapUsed)} used of ${mb(m.heapTotal)}, external ${mb(m.external)}, rest ${mb(m.rss - m.heapTotal - m.external)}`,
    );
    for (const f of failures) console.log(`  failed: ${f.n} x ${f.error}`);
    console.log('\n  Kubernetes requests while deploying, by verb and resource:');
    for (const [key, n] of kubeByVerb) console.log(`    ${String(n).padStart(6)}  ${key}`);
    console.log('  GitHub requests while deploying, by route:');
    for (const [key, n] of githubByRoute) console.log(`    ${String(n).padStart(6)}  ${key}`);

    const checks: [string, boolean][] = [
      [
        `all ${PRS} running within ${targets.runningSeconds} s`,
        running === PRS && runningMs <= targets.runningSeconds * 1000,
      ],
      [
        `at most ${targets.kubePerEnv} Kubernetes requests per preview`,
        kubeRequests / PRS <= targets.kubePerEnv,
      ],
      [
        `at most ${targets.githubPerEnv} GitHub requests per preview`,
        githubRequests / PRS <= targets.githubPerEnv,
      ],
      [`peak RSS under ${targets.rssMb} MB`, peakRss < targets.rssMb],
      [
        `every namespace gone within ${targets.goneSeconds} s of closing`,
        leftover === 0 && deletedMs <= targets.goneSeconds * 1000,
      ],
    ];
    console.log('\nTargets:');
    for (const [what, met] of checks) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${what}`);
    figures = {
      prs: PRS,
      running,
      runningSeconds: runningMs / 1000,
      kubePerEnv: kubeRequests / PRS,
      githubPerEnv: githubRequests / PRS,
      peakRssMb: peakRss,
      goneSeconds: deletedMs / 1000,
      leftover,
      met: checks.every(([, met]) => met),
    };
  } catch (error) {
    console.error(error);
    console.error(glimpse.output().slice(-4000));
  } finally {
    await glimpse.stop();
    await db.close();
    await scratch.drop();
    await github.close();
    await kube.close();
    git.remove();
    process.off('SIGINT', onInterrupt);
  }
  return figures ?? failedRun(PRS);
}

function pullRequest(
  url: string,
  repoId: number,
  shas: string[],
  action: 'opened' | 'closed',
  number: number,
  updatedAt: string,
) {
  return sendWebhook({
    url,
    secret: SECRET,
    event: 'pull_request',
    action,
    overrides: {
      action,
      number,
      repository: { id: repoId, full_name: FULL_NAME, clone_url: 'https://github.com/acme/shop.git' },
      installation: { id: INSTALLATION.id },
      pull_request: {
        number,
        state: action === 'closed' ? 'closed' : 'open',
        updated_at: updatedAt,
        draft: false,
        labels: [],
        head: { sha: shas[number], ref: `pr-${number}`, repo: { id: repoId, full_name: FULL_NAME } },
        base: { ref: 'main', repo: { id: repoId, full_name: FULL_NAME } },
      },
    },
  });
}

async function sendAll(prs: number, send: (number: number) => Promise<{ status: number }>): Promise<void> {
  let next = 1;
  const worker = async () => {
    while (next <= prs) {
      const number = next++;
      const { status } = await send(number);
      if (status !== 202) throw new Error(`webhook for PR ${number} answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker));
}

async function count(db: ReturnType<typeof openPostgres>, query: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db.db, sql.raw(query));
  return row?.n ?? 0;
}

async function waitUntil(
  db: ReturnType<typeof openPostgres>,
  child: ChildProcess,
  query: string,
  wanted: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    last = await count(db, query);
    if (last >= wanted || Date.now() > deadline) return last;
    if (child.exitCode !== null) throw new Error('Glimpse exited');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU time (user + system) the process has used, in seconds. */
function cpuSeconds(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The process's high-water mark of resident memory (VmHWM), in MB. */
function peakRssMb(child: ChildProcess): number {
  return processMemoryMb(child.pid ?? 0).peak;
}

function startGlimpse(
  databaseUrl: string,
  kube: BenchKube,
  github: Awaited<ReturnType<typeof startGithubSimulator>>,
) {
  const profileDir = process.env.BENCH_PROFILE;
  const child = spawn(
    process.execPath,
    [
      ...SERVER_NODE_FLAGS,
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      ...(process.env.BENCH_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
      new URL('./glimpse-process.ts', import.meta.url).pathname,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: databaseUrl,
        KUBECONFIG: kube.kubeconfigPath,
        GLIMPSE_BASE_DOMAIN: 'preview.example.test',
        GLIMPSE_MAX_CONCURRENT_DEPLOYS: String(CONCURRENCY),
        GLIMPSE_MAX_CONCURRENT_DELETES: String(DELETE_CONCURRENCY),
        GITHUB_APP_ID: String(github.appId),
        GITHUB_PRIVATE_KEY: github.privateKey,
        GITHUB_API_URL: github.url,
        GITHUB_WEBHOOK_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const memory = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      for (const [, json] of chunk.toString().matchAll(/^memory (.*)$/gm)) {
        const m = JSON.parse(json ?? '{}') as typeof memory;
        if (m.rss > memory.rss) Object.assign(memory, m);
      }
      output += chunk.toString().replace(/^memory .*\n/gm, '');
      const match = /ready (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`Glimpse exited (${code}):\n${output.slice(-4000)}`)));
  });
  return {
    child,
    ready,
    output: () => output,
    /** process.memoryUsage() of Glimpse at its highest RSS sample. */
    memory,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}
