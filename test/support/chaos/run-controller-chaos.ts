import { openPostgres } from '../../../src/db/open-postgres.ts';
import { connectRepo } from '../connect-repo.ts';
import { createGitRepo } from '../create-git-repo.ts';
import { startGithubSimulator } from '../github-sim/start-github-simulator.ts';
import { startKubeSimulator } from '../kube-sim/start-kube-simulator.ts';
import { createScratchPostgres } from '../test-database.ts';
import { checkInvariants, converged, environmentRows, stuckEnvironments } from './chaos-invariants.ts';
import { PullRequestDriver } from './pull-request-driver.ts';
import { REPLICA_WEBHOOK_SECRET, ReplicaSet } from './replica-set.ts';
import { type Takeover, TakeoverTracker } from './takeover-tracker.ts';

export interface ChaosOptions {
  replicas: number;
  /** Pull requests opened at once at the start (more than all replicas' slots together). */
  prs: number;
  /** GLIMPSE_MAX_CONCURRENT_DEPLOYS of each replica. */
  maxConcurrent: number;
  leaseSeconds: number;
  /** How long pushes, closes and kills go on. */
  chaosMs: number;
  /** Mean time between two kills (each at a random moment, ±50 %). */
  killEveryMs: number;
  /** Mean time between two pushes or closes. */
  actionEveryMs: number;
  /** How long a pod takes to become ready. */
  podStartMs: number;
  /** How long the replicas may take to converge once the chaos is over. */
  settleMs: number;
  seed: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  prs: number;
  pushes: number;
  closes: number;
  kills: number;
  takeovers: Takeover[];
  /** From the end of the chaos until every environment was where it should be (undefined: never). */
  settledMs: number | undefined;
  githubRequests: number;
  kubeRequests: number;
  violations: string[];
  /** The replicas' last warnings and errors, for a failure report. */
  replicaOutput: string;
}

const GLIMPSE_YML = 'kubernetes:\n  image: ghcr.io/acme/chaos:{sha}\n  port: 8080\n';
const FULL_NAME = 'acme/chaos';

/**
 * Issue 20's chaos: replicas of `glimpse serve` on one PostgreSQL database, against the Kubernetes simulator
 * (slow pods) and the GitHub simulator, with more PRs than deploy slots, pushes while deploys run, closes
 * while others deploy, and a random replica SIGKILLed at random moments and started again. Then checks
 * what must hold once they converge. Needs TEST_DATABASE_URL (a scratch database is made and dropped).
 */
export async function runControllerChaos(options: ChaosOptions): Promise<ChaosReport> {
  const random = mulberry32(options.seed);
  const kube = await startKubeSimulator({
    kubelet: { startDelayMs: options.podStartMs, logIntervalMs: 600_000, terminationDelayMs: 200 },
    controllerTickMs: 100,
  });
  const github = await startGithubSimulator({ validateResponses: false });
  const git = createGitRepo({ '.glimpse.yml': GLIMPSE_YML });
  const scratch = await createScratchPostgres();
  const database = openPostgres(scratch.url);
  const replicas = new ReplicaSet({
    databaseUrl: scratch.url,
    kube,
    github,
    leaseSeconds: options.leaseSeconds,
    maxConcurrent: options.maxConcurrent,
  });
  const tracker = new TakeoverTracker(database.db);
  const stuck = new Set<string>();
  let pushes = 0;
  let closes = 0;
  let kills = 0;
  try {
    await replicas.start(options.replicas);
    const first = replicas.live()[0];
    if (first === undefined) throw new Error('no replica started');
    const { id } = await connectRepo({
      github,
      webhookUrl: first.webhookUrl,
      secret: REPLICA_WEBHOOK_SECRET,
      fullName: FULL_NAME,
      gitDir: git.dir,
    });
    const driver = new PullRequestDriver({
      github,
      git,
      replicas,
      repo: { id, fullName: FULL_NAME },
      random,
    });
    options.log(`chaos: ${options.replicas} replicas up, opening ${options.prs} PRs (seed ${options.seed})`);
    for (let number = 1; number <= options.prs; number++) await driver.open(number);

    const sampler = setInterval(() => {
      void stuckEnvironments(database.db).then(
        (found) => {
          for (const line of found) stuck.add(line);
        },
        () => {},
      );
    }, 1_000);
    const chaosEnd = Date.now() + options.chaosMs;
    const jitter = (ms: number) => ms * (0.5 + random());
    const acting = (async () => {
      while (Date.now() < chaosEnd) {
        await sleep(jitter(options.actionEveryMs));
        const open = driver.openNumbers();
        const number = open[Math.floor(random() * open.length)];
        if (number === undefined) continue;
        // About one action in four closes a PR, as long as at least half of them stay open.
        if (random() < 0.25 && open.length > options.prs / 2) {
          await driver.close(number);
          closes += 1;
        } else {
          await driver.push(number);
          pushes += 1;
        }
      }
    })();
    const killing = (async () => {
      while (Date.now() < chaosEnd) {
        await sleep(jitter(options.killEveryMs));
        if (Date.now() >= chaosEnd) break;
        const victim = replicas.live()[Math.floor(random() * options.replicas)];
        if (victim === undefined) continue;
        const killedAt = Date.now();
        const pid = await replicas.kill(victim);
        kills += 1;
        const held = await tracker.killed(pid, killedAt);
        options.log(`chaos: killed ${victim.name} (pid ${pid}) holding ${held} environments with work left`);
        await sleep(500 + random() * 2_500);
        await replicas.restart(victim);
      }
    })();
    await Promise.all([acting, killing]);
    options.log(`chaos: over after ${pushes} pushes, ${closes} closes, ${kills} kills; waiting to converge`);

    const settleStart = Date.now();
    let settledMs: number | undefined;
    while (Date.now() - settleStart < options.settleMs) {
      if (converged(driver.prs.values(), await environmentRows(database.db))) {
        settledMs = Date.now() - settleStart;
        break;
      }
      await sleep(500);
    }
    clearInterval(sampler);
    await tracker.stop();
    const violations = [
      ...(settledMs === undefined ? [`not converged ${options.settleMs} ms after the chaos`] : []),
      ...[...stuck].map((line) => `stuck: ${line}`),
      ...(await checkInvariants({
        db: database.db,
        github,
        kube,
        fullName: FULL_NAME,
        prs: driver.prs.values(),
      })),
      ...tracker.takeovers
        .filter((t) => t.latencyMs === undefined || t.latencyMs > options.leaseSeconds * 1000 + 5_000)
        .map((t) => `takeover of ${t.namespace} took ${t.latencyMs ?? 'forever'} ms`),
    ];
    return {
      prs: options.prs,
      pushes,
      closes,
      kills,
      takeovers: tracker.takeovers,
      settledMs,
      githubRequests: github.requests.length,
      kubeRequests: kube.requests.entries.length,
      violations,
      replicaOutput: replicas.output(),
    };
  } finally {
    await tracker.stop();
    await replicas.close();
    await database.close();
    await scratch.drop();
    await github.close();
    await kube.close();
    git.remove();
  }
}

/** The figures a run saw, one line each. */
export function describeChaos(report: ChaosReport): string[] {
  const latencies = report.takeovers
    .map((t) => t.latencyMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return [
    `PRs ${report.prs}, pushes ${report.pushes}, closes ${report.closes}, kills ${report.kills}`,
    `takeovers ${report.takeovers.length}: ` +
      (latencies.length === 0
        ? 'none measured'
        : `min ${latencies[0]} ms, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies.at(-1)} ms`),
    `converged ${report.settledMs === undefined ? 'never' : `${report.settledMs} ms`} after the chaos`,
    `GitHub requests ${report.githubRequests}, Kubernetes requests ${report.kubeRequests}`,
    `invariant violations ${report.violations.length}`,
    ...report.violations.map((v) => `  - ${v}`),
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded generator, so a failing run can be repeated with its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
