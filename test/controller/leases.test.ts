import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { environments } from '../../src/db/schema.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhook-route.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { FAST_KUBELET, fastRuntime } from '../kubernetes-runtime/runtime-fixture.ts';
import { connectRepo } from '../support/connect-repo.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { freePort, startGlimpse } from '../support/glimpse-process.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { pullRequestOverrides } from '../support/pull-request-overrides.ts';
import { RuntimeRecorder } from '../support/recording-runtime.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { sendWebhook } from '../support/webhook-sender.ts';

const GLIMPSE_YML = 'kubernetes:\n  image: ghcr.io/acme/shop:{sha}\n  port: 8080\n';
const onPostgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== '';
const REPLICA_SECRET = 'killed-process-webhook-secret-0123';

let sim: KubeSimulator;
let git: GitRepoFixture;
let clock = Date.parse('2024-01-01T00:00:00Z');
const nextUpdate = () => {
  clock += 60_000;
  return new Date(clock).toISOString();
};

beforeAll(async () => {
  sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
  git = createGitRepo({ '.glimpse.yml': GLIMPSE_YML });
});
afterAll(async () => {
  await sim.close();
  git.remove();
});
afterEach(() => {
  sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
});

/** A commit on the PR's own branch. */
const commit = (number: number) =>
  git.commit({ [`change-${number}.txt`]: String(Math.random()) }, { branch: `feature-${number}` });

describe.each(databaseTargets())('bounded concurrency (%s)', (target) => {
  let harness: GlimpseHarness;
  let runtime: KubernetesRuntime;
  const recorder = new RuntimeRecorder();

  beforeAll(async () => {
    runtime = fastRuntime(sim);
    harness = await startGlimpseHarness(target, {
      runtime: recorder.wrap(runtime, 'glimpse'),
      env: { GLIMPSE_MAX_CONCURRENT_DEPLOYS: '2' },
    });
  });
  afterAll(async () => {
    await harness.close();
    // The next database target's Glimpse would remove these as orphans at its first resync, which the
    // recorder would count among its deploys in flight.
    for (const ref of await runtime.listManaged()) await runtime.destroy(ref, new AbortController().signal);
    await runtime.close();
  });

  it('never deploys more than GLIMPSE_MAX_CONCURRENT_DEPLOYS previews at once; the rest wait', async () => {
    const fullName = `acme/bounded-${target}`;
    const id = await harness.connectRepo(fullName, git.dir);
    const repo = { id, fullName, cloneUrl: 'https://github.com/acme/bounded.git' };
    sim.kubelet.startDelayMs = 600;
    const prs = [1, 2, 3, 4, 5];
    for (const number of prs) {
      await harness.pullRequest('opened', { repo, number, sha: commit(number), updatedAt: nextUpdate() });
    }
    for (const number of prs) await harness.waitForPhase(number, 'running', 30_000);
    const deploys = recorder.calls.filter((c) => c.op === 'deploy');
    expect(deploys).toHaveLength(5);
    expect(recorder.maxInFlight).toBe(2);
    expect(recorder.overlaps).toEqual([]);
  });
});

describe.runIf(onPostgres)('several Glimpse instances on one PostgreSQL database', () => {
  let github: GithubSimulator;
  let database: TestDatabase;

  beforeAll(async () => {
    github = await startGithubSimulator();
  });
  afterAll(async () => {
    await github.close();
  });

  it('never lets two controllers work on one environment at once', async () => {
    database = await createTestDatabase('postgres');
    const url = database.url ?? '';
    const second: TestDatabase = { handle: openPostgres(url), url, close: async () => {} };
    const runtime = fastRuntime(sim);
    const recorder = new RuntimeRecorder();
    const controller = { maxConcurrent: 3, leaseMs: 1_500 };
    const a = await startGlimpseHarness('postgres', {
      runtime: recorder.wrap(runtime, 'a'),
      database,
      github,
      controller,
    });
    const b = await startGlimpseHarness('postgres', {
      runtime: recorder.wrap(runtime, 'b'),
      database: second,
      github,
      controller,
    });
    try {
      const fullName = 'acme/shared';
      const id = await a.connectRepo(fullName, git.dir);
      const repo: PullRequestFields['repo'] = {
        id,
        fullName,
        cloneUrl: 'https://github.com/acme/shared.git',
      };
      sim.kubelet.startDelayMs = 300;
      const prs = [11, 12, 13, 14, 15, 16];
      const shas = new Map<number, string>();
      // Each PR is opened through one instance and pushed to twice through the other, mid-rollout.
      for (const number of prs) {
        const sha = commit(number);
        shas.set(number, sha);
        await (number % 2 === 0 ? a : b).pullRequest('opened', {
          repo,
          number,
          sha,
          updatedAt: nextUpdate(),
        });
      }
      for (const round of [1, 2]) {
        await new Promise((r) => setTimeout(r, 250 * round));
        for (const number of prs) {
          const sha = commit(number);
          shas.set(number, sha);
          await (number % 2 === 0 ? b : a).pullRequest('synchronize', {
            repo,
            number,
            sha,
            updatedAt: nextUpdate(),
          });
        }
      }
      for (const number of prs) {
        await waitFor(
          async () => {
            const env = await a.environment(number);
            return env.phase === 'running' && env.deployedSha === shas.get(number);
          },
          40_000,
          `PR ${number} to run its last commit`,
        );
      }
      // Both instances' start-up resync may delete the same orphan (left by the test above; no environment
      // owns it, and deleting is idempotent). Environments themselves must never be worked on twice at once.
      expect(recorder.overlaps.filter((o) => o.includes('pr-shared-'))).toEqual([]);
      const ours = recorder.calls.filter((c) => c.namespace.startsWith('pr-shared-'));
      expect(ours.filter((c) => c.op === 'deploy').length).toBeGreaterThanOrEqual(prs.length);
      const who = new Set(ours.map((c) => c.who));
      expect(who).toEqual(new Set(['a', 'b']));
      for (const number of prs) {
        const rows = await a.deploymentsOf(number);
        expect(rows.filter((r) => r.status === 'succeeded').map((r) => r.commitSha)).toContain(
          shas.get(number),
        );
        expect(rows.filter((r) => r.status === 'in_progress')).toEqual([]);
      }
    } finally {
      await b.close();
      await a.close();
      await second.handle.close();
      await runtime.close();
      await database.close();
    }
  }, 90_000);

  /** `glimpse serve` as a child process on `database`, with the Kubernetes runtime against the simulator. */
  async function startReplica(database: TestDatabase, dataDir: string, leaseSeconds: number) {
    const port = await freePort();
    const child = startGlimpse(['serve'], {
      DATABASE_URL: database.url ?? '',
      GLIMPSE_PORT: String(port),
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_RUNTIME: 'kubernetes',
      KUBECONFIG: sim.kubeconfigPath,
      GLIMPSE_BASE_DOMAIN: 'preview.example.test',
      GITHUB_APP_ID: String(github.appId),
      GITHUB_PRIVATE_KEY: github.privateKey,
      GITHUB_API_URL: github.url,
      GITHUB_WEBHOOK_SECRET: REPLICA_SECRET,
      GLIMPSE_RESYNC_SECONDS: '3600',
      GLIMPSE_LEASE_SECONDS: String(leaseSeconds),
    });
    await child.waitForOutput(/listening\s+http/, 30_000);
    return { child, webhookUrl: `http://127.0.0.1:${port}${WEBHOOK_PATH}` };
  }

  /** Opens (or closes) a PR on the simulator and tells the replica at `webhookUrl`. */
  async function pullRequestEvent(
    webhookUrl: string,
    repo: { id: number; fullName: string },
    number: number,
    sha: string,
    action: 'opened' | 'closed',
  ) {
    if (action === 'opened') {
      await github.openPullRequest({
        repo: repo.fullName,
        number,
        headRef: `feature-${number}`,
        headSha: sha,
      });
    } else {
      github.closePullRequest(repo.fullName, number);
    }
    const response = await sendWebhook({
      url: webhookUrl,
      secret: REPLICA_SECRET,
      event: 'pull_request',
      action,
      overrides: pullRequestOverrides({
        action,
        repo,
        number,
        sha,
        open: action === 'opened',
        updatedAt: nextUpdate(),
      }),
    });
    expect(response.status).toBe(202);
  }

  const environmentOf = (database: TestDatabase, prNumber: number) => async () => {
    const [env] = await database.handle.db
      .select()
      .from(environments)
      .where(eq(environments.prNumber, prNumber));
    return env;
  };

  async function connect(webhookUrl: string, fullName: string) {
    const { id, response } = await connectRepo({
      github,
      webhookUrl,
      secret: REPLICA_SECRET,
      fullName,
      gitDir: git.dir,
    });
    expect(response.status).toBe(200);
    return { id, fullName };
  }

  it('finishes, within a lease of the kill, a deploy whose Glimpse process was killed', async () => {
    database = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'glimpse-killed-'));
    const leaseSeconds = 6;
    let replica: Awaited<ReturnType<typeof startReplica>> | undefined;
    const runtime = fastRuntime(sim);
    let survivor: GlimpseHarness | undefined;
    try {
      replica = await startReplica(database, dataDir, leaseSeconds);
      const repo = await connect(replica.webhookUrl, 'acme/killed');
      // Slow enough that the child is killed mid-rollout; the pod becomes ready by itself later, as on a cluster.
      sim.kubelet.startDelayMs = 8_000;
      const sha = commit(21);
      await pullRequestEvent(replica.webhookUrl, repo, 21, sha, 'opened');
      const row = environmentOf(database, 21);
      await waitFor(async () => (await row())?.phase === 'deploying', 20_000, 'a replica to be deploying');
      const held = await row();
      await waitFor(() => sim.list('', 'pods', 'pr-killed-21').length > 0, 10_000, 'a pod to be scheduled');
      replica.child.kill('SIGKILL');
      const killedAt = Date.now();
      await replica.child.exited(10_000);
      replica = undefined;
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
      const recorder = new RuntimeRecorder();
      survivor = await startGlimpseHarness('postgres', {
        runtime: recorder.wrap(runtime, 'survivor'),
        database,
        github,
        controller: { leaseMs: leaseSeconds * 1000 },
      });

      const done = await waitFor(
        async () => {
          const env = await row();
          return env?.phase === 'running' && env.observedGeneration === env.generation ? env : undefined;
        },
        60_000,
        'another controller to finish the deploy',
      );
      expect(done.deployedSha).toBe(sha);
      const rows = await survivor.deploymentsOf(21);
      expect(rows.map((r) => r.status)).toEqual(['canceled', 'succeeded']);
      // The survivor waited for the dead process's lease to run out, and no longer than a lease (+ a poll).
      const deploys = recorder.calls.filter((c) => c.op === 'deploy');
      expect(deploys).toHaveLength(1);
      const start = deploys[0]?.start ?? Number.POSITIVE_INFINITY;
      expect(start).toBeGreaterThanOrEqual(held?.leaseUntil?.getTime() ?? Number.POSITIVE_INFINITY);
      expect(start - killedAt).toBeLessThan(leaseSeconds * 1000 + 5_000);
    } finally {
      replica?.child.kill('SIGKILL');
      await survivor?.close();
      await runtime.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("takes a killed process's deploys over within a lease even when every slot of the survivor is busy", async () => {
    database = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'glimpse-busy-survivor-'));
    const leaseSeconds = 4;
    let replica: Awaited<ReturnType<typeof startReplica>> | undefined;
    const runtime = fastRuntime(sim);
    let survivor: GlimpseHarness | undefined;
    // The survivor's deploys never finish while the test looks: its one slot stays busy.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stuck: Runtime = {
      name: runtime.name,
      requiredChecks: (config) => runtime.requiredChecks(config),
      deploy: async (spec, signal) => {
        await released;
        return runtime.deploy(spec, signal);
      },
      destroy: (ref, signal) => runtime.destroy(ref, signal),
      logs: (ref, options) => runtime.logs(ref, options),
      inspect: (ref) => runtime.inspect(ref),
      listManaged: () => runtime.listManaged(),
      findVanished: (namespaces) => runtime.findVanished(namespaces),
      close: async () => {},
    };
    try {
      replica = await startReplica(database, dataDir, leaseSeconds);
      const repo = await connect(replica.webhookUrl, 'acme/busy');
      sim.kubelet.startDelayMs = 60_000;
      for (const number of [31, 32])
        await pullRequestEvent(replica.webhookUrl, repo, number, commit(number), 'opened');
      const rows = [environmentOf(database, 31), environmentOf(database, 32)];
      await waitFor(
        async () => (await Promise.all(rows.map((row) => row()))).every((env) => env?.phase === 'deploying'),
        20_000,
        'the replica to be deploying both',
      );
      const dead = (await rows[0]?.())?.leaseOwner;
      replica.child.kill('SIGKILL');
      const killedAt = Date.now();
      await replica.child.exited(10_000);
      replica = undefined;
      survivor = await startGlimpseHarness('postgres', {
        runtime: stuck,
        database,
        github,
        controller: { leaseMs: leaseSeconds * 1000, maxConcurrent: 1 },
      });
      // One slot, two deploys left by the dead process: both are held by the survivor within a lease (+ 5 s).
      await waitFor(
        async () =>
          (await Promise.all(rows.map((row) => row()))).every(
            (env) => env?.leaseOwner !== null && env?.leaseOwner !== dead,
          ),
        leaseSeconds * 1000 + 5_000 - (Date.now() - killedAt),
        'the survivor to take both over',
      );
    } finally {
      release();
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
      replica?.child.kill('SIGKILL');
      await survivor?.close();
      await runtime.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('takes over a deletion from a killed process without deleting the namespace again (issue 20, item 5)', async () => {
    database = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'glimpse-deleting-'));
    const leaseSeconds = 4;
    const namespace = 'pr-deleting-41';
    let replica: Awaited<ReturnType<typeof startReplica>> | undefined;
    const runtime = fastRuntime(sim);
    let survivor: GlimpseHarness | undefined;
    try {
      replica = await startReplica(database, dataDir, leaseSeconds);
      const repo = await connect(replica.webhookUrl, 'acme/deleting');
      const sha = commit(41);
      await pullRequestEvent(replica.webhookUrl, repo, 41, sha, 'opened');
      const row = environmentOf(database, 41);
      await waitFor(async () => (await row())?.phase === 'running', 30_000, 'the preview to run');
      // The namespace's finalizers hold it in Terminating until the test lets it go.
      sim.faults.stickNamespace(namespace);
      await pullRequestEvent(replica.webhookUrl, repo, 41, sha, 'closed');
      const deletes = () =>
        sim.requests.find({
          verb: 'delete',
          resource: 'namespaces',
          path: `/api/v1/namespaces/${namespace}`,
        });
      await waitFor(() => deletes().length > 0, 20_000, 'the replica to delete the namespace');
      const held = await row();
      expect(held?.phase).toBe('deleting');
      replica.child.kill('SIGKILL');
      await replica.child.exited(10_000);
      replica = undefined;

      survivor = await startGlimpseHarness('postgres', {
        runtime,
        database,
        github,
        controller: { leaseMs: leaseSeconds * 1000 },
      });
      await waitFor(
        async () => {
          const env = await row();
          return env?.leaseOwner !== null && env?.leaseOwner !== held?.leaseOwner;
        },
        30_000,
        'the survivor to take the deletion over',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      sim.faults.releaseNamespace(namespace);
      await waitFor(
        async () => {
          const env = await row();
          return env?.phase === 'deleted' && env.observedGeneration === env.generation;
        },
        30_000,
        'the survivor to finish the deletion',
      );
      expect(sim.get('', 'namespaces', undefined, namespace)).toBeUndefined();
      expect(deletes()).toHaveLength(1);
    } finally {
      sim.faults.releaseNamespace(namespace);
      replica?.child.kill('SIGKILL');
      await survivor?.close();
      await runtime.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
