import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { auditEvents, environments } from '../../src/db/schema.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import { FAST_KUBELET, fastRuntime } from '../kubernetes-runtime/runtime-fixture.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import type { KubeObject } from '../support/kube-sim/kube-object.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { type KubeTarget, kubeWaitMs, onRealKube, simOf, startKubeTarget } from '../support/kube-target.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/shop';
const IMAGE = 'ghcr.io/acme/shop';
const imageYml = (extra = '') => `kubernetes:\n  image: ${IMAGE}:{sha}\n  port: 8080\n${extra}`;

type Json = Record<string, unknown>;
const specOf = (o: KubeObject | undefined) => (o?.spec ?? {}) as Json;
const statusOf = (o: KubeObject | undefined) => ((o as { status?: Json } | undefined)?.status ?? {}) as Json;

function containerImage(deployment: KubeObject | undefined): unknown {
  const template = specOf(deployment).template as { spec?: { containers?: Json[] } } | undefined;
  return template?.spec?.containers?.[0]?.image;
}

/** Tests that need the simulator's fake kubelet knobs or fault injection. */
const simOnly = it.skipIf(onRealKube);
/** A real namespace takes seconds to go; the stuck-namespace test waits this long before it fails. */
const deleteTimeoutMs = onRealKube ? 60_000 : 2_000;

describe.each(databaseTargets())('previews on Kubernetes, end to end (%s)', (target) => {
  let kube: KubeTarget;
  const sim = () => simOf(kube);
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let clock = Date.parse('2024-01-01T00:00:00Z');

  beforeAll(async () => {
    kube = await startKubeTarget({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(kube, { deleteTimeoutMs });
    core = kubeConfigFor(kube).makeApiClient(CoreV1Api);
    apps = kubeConfigFor(kube).makeApiClient(AppsV1Api);
    git = createGitRepo({ '.glimpse.yml': imageYml(), 'README.md': '# shop\n' });
    harness = await startGlimpseHarness(target, { runtime });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/shop.git' };
  });
  afterAll(async () => {
    await harness.close();
    await kube.close();
    git.remove();
  });

  /** Every delivery gets a later `updated_at`, so none is mistaken for a stale one. */
  const nextUpdate = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };
  const open = (number: number, sha: string, action = 'opened') =>
    harness.pullRequest(action, { repo, number, sha, updatedAt: nextUpdate() });
  const close = async (number: number) => {
    const env = await harness.environment(number);
    return harness.pullRequest('closed', { repo, number, sha: env.headSha, updatedAt: nextUpdate() });
  };
  /** A commit on the PR's own branch, with `files` changed. */
  const commit = (number: number, files: Record<string, string> = {}) =>
    git.commit(
      { [`change-${number}.txt`]: String(Math.random()), ...files },
      { branch: `feature-${number}` },
    );
  const comments = (pr: number) =>
    harness.github.comments(FULL_NAME, pr).filter((c) => c.body.includes(PR_COMMENT_MARKER));
  const namespace = (name: string) => kube.get('', 'namespaces', undefined, name);
  /** Opens PR `number` unless an earlier test did (one that only runs on the simulator), and waits until it runs. */
  const ensureRunning = async (number: number) => {
    const existing = await harness.environment(number).catch(() => undefined);
    if (existing !== undefined) return;
    await open(number, commit(number));
    await harness.waitForPhase(number, 'running', kubeWaitMs(30_000));
  };
  const previewDeployment = (ns: string) => kube.get('apps', 'deployments', ns, 'preview');

  it('deploys an opened PR into an isolated namespace and puts the URL on the PR', async () => {
    const sha = commit(1);
    expect((await open(1, sha)).status).toBe(202);
    const env = await harness.waitForPhase(1, 'running', kubeWaitMs(30_000));
    expect(env).toMatchObject({
      namespace: 'pr-shop-1',
      deployedSha: sha,
      url: 'https://pr-shop-1.preview.example.test',
      error: null,
    });

    expect((await namespace('pr-shop-1'))?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'glimpse',
      'glimpse.dev/pr': '1',
    });
    expect(await kube.get('', 'resourcequotas', 'pr-shop-1', 'glimpse-quota')).toBeDefined();
    expect(await kube.get('', 'limitranges', 'pr-shop-1', 'glimpse-limits')).toBeDefined();
    const policies = await kube.list('networking.k8s.io', 'networkpolicies', 'pr-shop-1');
    expect(policies.map((p) => p.metadata.name)).toEqual(['glimpse-isolation']);
    expect(specOf(policies[0]).podSelector).toEqual({});
    expect(containerImage(await previewDeployment('pr-shop-1'))).toBe(`${IMAGE}:${sha}`);
    expect(statusOf(await previewDeployment('pr-shop-1')).readyReplicas).toBe(1);
    expect(await kube.get('', 'services', 'pr-shop-1', 'preview')).toBeDefined();
    const ingress = await kube.get('networking.k8s.io', 'ingresses', 'pr-shop-1', 'preview');
    expect((specOf(ingress).rules as Json[])[0]?.host).toBe('pr-shop-1.preview.example.test');

    const body = await waitFor(() => comments(1).find((c) => c.body.includes('Running'))?.body);
    expect(body).toContain('https://pr-shop-1.preview.example.test');
    expect(comments(1)).toHaveLength(1);
    const [deployment] = harness.github.deployments(FULL_NAME);
    expect(deployment).toMatchObject({ sha, environment: 'preview/pr-1' });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(await harness.deploymentsOf(1)).toMatchObject([{ commitSha: sha, status: 'succeeded' }]);
  });

  it('logs each phase change of an environment as one structured line', () => {
    const changes = harness.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'environment phase changed' && entry.environment === 'pr-shop-1');
    expect(changes.map((entry) => [entry.from, entry.phase])).toEqual([
      ['pending', 'building'],
      ['building', 'deploying'],
      ['deploying', 'running'],
    ]);
    expect(changes[0]).toMatchObject({ repo: FULL_NAME, pr: 1, level: 30 });
  });

  it('rolls a push out as a new image and scales the old ReplicaSet down', async () => {
    const before = commit(1);
    const sha = commit(1);
    expect(before).not.toBe(sha);
    await open(1, sha, 'synchronize');
    await waitFor(
      async () => (await harness.environment(1)).deployedSha === sha,
      kubeWaitMs(15_000),
      'the push',
    );
    expect(containerImage(await previewDeployment('pr-shop-1'))).toBe(`${IMAGE}:${sha}`);
    const replicaSets = await kube.list('apps', 'replicasets', 'pr-shop-1');
    const current = replicaSets.filter((rs) => containerImage(rs) === `${IMAGE}:${sha}`);
    const old = replicaSets.filter((rs) => containerImage(rs) !== `${IMAGE}:${sha}`);
    expect(current).toHaveLength(1);
    expect(specOf(current[0]).replicas).toBe(1);
    expect(old.length).toBeGreaterThanOrEqual(1);
    for (const rs of old) expect(specOf(rs).replicas).toBe(0);
    await waitFor(() => comments(1)[0]?.body.includes(sha.slice(0, 7)));
    expect(comments(1)).toHaveLength(1);
  });

  simOnly('cancels a rollout superseded by a newer push and deploys the newer commit', async () => {
    const first = commit(2);
    sim().kubelet.startDelayMs = 4_000;
    try {
      await open(2, first);
      await waitFor(
        () => sim().get('apps', 'deployments', 'pr-shop-2', 'preview') !== undefined,
        15_000,
        'the first rollout to be under way',
      );
      expect((await harness.environment(2)).phase).toBe('deploying');
    } finally {
      sim().kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
    const second = commit(2);
    await open(2, second, 'synchronize');
    const env = await waitFor(async () => {
      const e = await harness.environment(2);
      return e.phase === 'running' && e.deployedSha === second ? e : undefined;
    }, 20_000);
    expect(env.deployedSha).toBe(second);
    const rows = await harness.deploymentsOf(2);
    expect(rows.map((r) => [r.commitSha, r.status])).toEqual([
      [first, 'canceled'],
      [second, 'succeeded'],
    ]);
    expect(containerImage(sim().get('apps', 'deployments', 'pr-shop-2', 'preview'))).toBe(
      `${IMAGE}:${second}`,
    );
  });

  simOnly('fails a crash-looping image with the reason and the log excerpt on the PR', async () => {
    const sha = commit(3);
    sim().images.set(`${IMAGE}:${sha}`, { kind: 'crash', message: 'DATABASE_URL is not set' });
    await open(3, sha);
    const env = await harness.waitForPhase(3, 'failed', kubeWaitMs(20_000));
    expect(env.error).toContain('CrashLoopBackOff');
    const body = await waitFor(() => comments(3).find((c) => c.body.includes('Failed'))?.body);
    expect(body).toContain('CrashLoopBackOff');
    expect(body).toContain('fatal: DATABASE_URL is not set');
    expect((await harness.deploymentsOf(3)).map((r) => r.status)).toEqual(['failed']);
    const [deployment] = harness.github.deployments(FULL_NAME).filter((d) => d.sha === sha);
    expect(deployment?.statuses.at(-1)?.state).toBe('failure');
  });

  simOnly('retries a transient API failure while applying, then runs', async () => {
    const sha = commit(4);
    const nsApply = { verb: 'patch', path: /^\/api\/v1\/namespaces\/pr-shop-4$/ };
    sim().faults.failNext(nsApply, 1, 500);
    await open(4, sha);
    const env = await harness.waitForPhase(4, 'running', kubeWaitMs(15_000));
    expect(env.deployedSha).toBe(sha);
    const rows = await harness.deploymentsOf(4);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(rows[0]?.error).toContain('500');
    expect(
      sim()
        .requests.find(nsApply)
        .map((r) => r.status),
    ).toEqual([500, 201]);
    // The retry carries on with the GitHub deployment the first attempt announced.
    const shown = () => harness.github.deployments(FULL_NAME).filter((d) => d.sha === sha);
    await waitFor(() => shown()[0]?.statuses.some((s) => s.state === 'success'));
    expect(shown()).toHaveLength(1);
    expect(shown()[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  simOnly('gives up after three attempts when the API keeps failing', async () => {
    const sha = commit(5);
    const nsApply = { verb: 'patch', path: /^\/api\/v1\/namespaces\/pr-shop-5$/ };
    // Every namespace apply fails, however often it is tried: Glimpse must stop after three attempts.
    sim().faults.failNext(nsApply, 50, 503);
    await open(5, sha);
    const env = await harness.waitForPhase(5, 'failed', kubeWaitMs(30_000));
    expect(env.error).toContain('gave up after 3 attempts');
    const statuses = sim()
      .requests.find(nsApply)
      .map((r) => r.status);
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(statuses)).toEqual(new Set([503]));
    const attempts = (await harness.deploymentsOf(5)).filter((r) => r.status !== 'canceled');
    expect(attempts.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    const body = await waitFor(() => comments(5).find((c) => c.body.includes('Failed'))?.body);
    expect(body).toContain('gave up after 3 attempts');
  });

  it('deletes the namespace of a closed PR, waits until it is gone, and marks its deployment inactive', async () => {
    await kube.holdNamespace('pr-shop-1');
    await close(1);
    await waitFor(
      async () => (await namespace('pr-shop-1'))?.metadata.deletionTimestamp !== undefined,
      kubeWaitMs(10_000),
    );
    // While Kubernetes still holds the namespace, Glimpse has not called it deleted.
    await new Promise((r) => setTimeout(r, 500));
    expect((await harness.environment(1)).phase).toBe('deleting');
    await kube.releaseNamespace('pr-shop-1');
    const env = await harness.waitForPhase(1, 'deleted', kubeWaitMs(10_000));
    expect(await namespace('pr-shop-1')).toBeUndefined();
    expect(env.url).toBeNull();
    const last = harness.github.deployments(FULL_NAME).filter((d) => d.environment === 'preview/pr-1');
    await waitFor(() => last.at(-1)?.statuses.at(-1)?.state === 'inactive');
    await waitFor(() => comments(1)[0]?.body.includes('Deleted'));
  });

  // The delete timeout on a real control plane (60 s) is longer than a test's default 30 s.
  it('fails the deletion of a namespace stuck terminating after the delete timeout', {
    timeout: deleteTimeoutMs + kubeWaitMs(30_000),
  }, async () => {
    await ensureRunning(2);
    await kube.holdNamespace('pr-shop-2');
    try {
      const started = Date.now();
      await close(2);
      const env = await harness.waitForPhase(2, 'failed', kubeWaitMs(20_000));
      expect(Date.now() - started).toBeGreaterThanOrEqual(deleteTimeoutMs);
      expect(env.error).toContain(`was not gone after ${deleteTimeoutMs / 1000} s`);
      expect((await namespace('pr-shop-2'))?.metadata.deletionTimestamp).toBeDefined();
      const [audit] = await waitFor(async () => {
        const rows = await harness.database.handle.db
          .select()
          .from(auditEvents)
          .where(eq(auditEvents.environmentId, env.id));
        return rows.length > 0 && rows;
      });
      expect(audit).toMatchObject({
        actor: 'controller',
        action: 'destroy',
        target: 'pr-shop-2',
        outcome: 'failed',
      });
      expect(audit?.detail).toEqual({ message: env.error });
    } finally {
      await kube.releaseNamespace('pr-shop-2');
    }
  });

  it('removes an orphaned namespace at resync', async () => {
    await ensureRunning(4);
    await core.createNamespace({
      body: {
        metadata: {
          name: 'pr-shop-99',
          labels: { 'app.kubernetes.io/managed-by': 'glimpse', 'glimpse.dev/pr': '99' },
          annotations: { 'glimpse.dev/repo-full-name': FULL_NAME },
        },
      },
    });
    const report = await harness.resync();
    expect(report.orphansRemoved).toContain('pr-shop-99');
    expect(await namespace('pr-shop-99')).toBeUndefined();
    expect(await namespace('pr-shop-4')).toBeDefined();
  });

  it('deploys again at resync a preview whose namespace was deleted by hand', async () => {
    const before = await harness.environment(4);
    await core.deleteNamespace({ name: 'pr-shop-4' });
    await waitFor(
      async () => (await namespace('pr-shop-4')) === undefined,
      kubeWaitMs(10_000),
      'the namespace to go',
    );
    const report = await harness.resync();
    expect(report.redeployed).toEqual([before.id]);
    const env = await waitFor(async () => {
      const e = await harness.environment(4);
      return e.generation > before.generation &&
        e.phase === 'running' &&
        e.observedGeneration === e.generation
        ? e
        : undefined;
    }, kubeWaitMs(15_000));
    expect(env.deployedSha).toBe(before.deployedSha);
    expect(statusOf(await previewDeployment('pr-shop-4')).readyReplicas).toBe(1);
  });

  it('deploys again at resync a preview whose Deployment was deleted by hand', async () => {
    const before = await harness.environment(4);
    await apps.deleteNamespacedDeployment({ name: 'preview', namespace: 'pr-shop-4' });
    await waitFor(
      async () => (await previewDeployment('pr-shop-4')) === undefined,
      kubeWaitMs(10_000),
      'the Deployment to go',
    );
    expect(
      (await runtime.inspect({ namespace: 'pr-shop-4', repoFullName: FULL_NAME, prNumber: 4 })).missing,
    ).toEqual(['Deployment/preview']);
    const report = await harness.resync();
    expect(report.redeployed).toEqual([before.id]);
    await waitFor(async () => {
      const e = await harness.environment(4);
      return (
        e.generation > before.generation && e.phase === 'running' && e.observedGeneration === e.generation
      );
    }, kubeWaitMs(15_000));
    expect(statusOf(await previewDeployment('pr-shop-4')).readyReplicas).toBe(1);
    expect((await harness.resync()).redeployed).toEqual([]);
  });

  it('cleans up at resync a PR that closed while Glimpse was not listening', async () => {
    harness.github.closePullRequest(FULL_NAME, 4);
    const { id } = await harness.environment(4);
    const report = await harness.resync();
    expect(report.closed).toEqual([id]);
    await harness.waitForPhase(4, 'deleted', kubeWaitMs(10_000));
    expect(await namespace('pr-shop-4')).toBeUndefined();
  });

  it('stays building until the required check succeeds, then deploys', async () => {
    const sha = commit(6, { '.glimpse.yml': imageYml('  waitForChecks: [ci]\n') });
    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'in_progress', conclusion: null });
    await open(6, sha);
    const waiting = await harness.waitForPhase(6, 'building', kubeWaitMs(30_000));
    expect(waiting.statusDetail).toBe('Waiting for checks: ci');
    expect(await namespace('pr-shop-6')).toBeUndefined();
    expect(await harness.deploymentsOf(6)).toEqual([]);

    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'completed', conclusion: 'success' });
    const response = await harness.deliver('check_run', 'completed', {
      check_run: { head_sha: sha, name: 'ci', status: 'completed', conclusion: 'success' },
      repository: { id: repo.id, full_name: FULL_NAME },
      installation: { id: 4242 },
    });
    expect(response.status).toBe(202);
    const env = await harness.waitForPhase(6, 'running', kubeWaitMs(15_000));
    expect(env.deployedSha).toBe(sha);
  });

  it('is woken by a check_suite event as well', async () => {
    const sha = commit(10, { '.glimpse.yml': imageYml('  waitForChecks: [ci]\n') });
    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'queued', conclusion: null });
    await open(10, sha);
    await harness.waitForPhase(10, 'building', kubeWaitMs(30_000));
    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'completed', conclusion: 'success' });
    const response = await harness.deliver('check_suite', 'completed', {
      check_suite: { head_sha: sha, status: 'completed', conclusion: 'success' },
      repository: { id: repo.id, full_name: FULL_NAME },
      installation: { id: 4242 },
    });
    expect(response.status).toBe(202);
    expect((await harness.waitForPhase(10, 'running', kubeWaitMs(15_000))).deployedSha).toBe(sha);
  });

  simOnly('does not restart a deploy under way when a check of its commit finishes', async () => {
    sim().kubelet.startDelayMs = 1_500;
    try {
      const sha = commit(8);
      await open(8, sha);
      await waitFor(async () => (await harness.deploymentsOf(8)).some((d) => d.status === 'in_progress'));
      for (const name of ['lint', 'unit']) {
        const response = await harness.deliver('check_run', 'completed', {
          check_run: { head_sha: sha, name, status: 'completed', conclusion: 'success' },
          repository: { id: repo.id, full_name: FULL_NAME },
          installation: { id: 4242 },
        });
        expect(response.body).toEqual({ ignored: 'no preview is waiting for this commit' });
      }
      await harness.waitForPhase(8, 'running', kubeWaitMs(15_000));
      expect((await harness.deploymentsOf(8)).map((d) => d.status)).toEqual(['succeeded']);
    } finally {
      sim().kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
  });

  it('brings back a preview whose required check failed once the check passes (status event)', async () => {
    const sha = commit(9, { '.glimpse.yml': imageYml('  waitForChecks: [ci]\n') });
    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'completed', conclusion: 'failure' });
    await open(9, sha);
    const failed = await harness.waitForPhase(9, 'failed', kubeWaitMs(30_000));
    expect(failed.error).toBe('Required check failed: ci');

    harness.github.setCheckRun(FULL_NAME, sha, { name: 'ci', status: 'completed', conclusion: 'success' });
    const response = await harness.deliver('status', undefined, {
      sha,
      state: 'success',
      context: 'ci',
      repository: { id: repo.id, full_name: FULL_NAME },
      installation: { id: 4242 },
    });
    expect(response.status).toBe(202);
    const env = await harness.waitForPhase(9, 'running', kubeWaitMs(15_000));
    expect(env.deployedSha).toBe(sha);
    expect((await harness.deploymentsOf(9)).map((d) => [d.status, d.error])).toEqual([
      ['failed', 'Required check failed: ci'],
      ['succeeded', null],
    ]);
  });

  it('removes an expired preview and says on the PR how to bring it back', async () => {
    const sha = commit(7, { '.glimpse.yml': imageYml().replace('kubernetes:', 'ttl: 1h\nkubernetes:') });
    await open(7, sha);
    const running = await harness.waitForPhase(7, 'running', kubeWaitMs(15_000));
    expect(running.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    await harness.database.handle.db
      .update(environments)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(environments.id, running.id));
    const env = await harness.waitForPhase(7, 'deleted', kubeWaitMs(15_000));
    expect(env.statusDetail).toContain('push a commit or reopen the pull request');
    expect(await namespace('pr-shop-7')).toBeUndefined();
    const body = await waitFor(() => comments(7).find((c) => c.body.includes('Expired'))?.body);
    expect(body).toContain('Push a commit or reopen the PR to bring it back');
  });

  it('made no request either API does not know', () => {
    harness.github.assertClean();
    expect(kube.sim?.requests.unmatched() ?? []).toEqual([]);
    expect(kube.sim?.controllerErrors ?? []).toEqual([]);
  });
});

/** How long a deploy takes decides what the PR hears: only the simulator's kubelet sets that duration. */
describe.skipIf(onRealKube)('what a pull request hears about a deploy on Kubernetes', () => {
  let sim: KubeSimulator;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];

  beforeAll(async () => {
    sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(sim);
    git = createGitRepo({ '.glimpse.yml': imageYml() });
    harness = await startGlimpseHarness('pglite', { runtime, controller: { announceDelayMs: 1_500 } });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/shop.git' };
  });
  afterAll(async () => {
    await harness.close();
    await sim.close();
    git.remove();
  });

  const routesFor = (pr: number) =>
    harness.github.requests
      .filter((r) => r.route !== 'POST /app/installations/{installation_id}/access_tokens')
      .filter(
        (r) => !r.path.includes('/issues/') || r.path.includes(`/issues/${pr}/`) || r.method === 'PATCH',
      )
      .map((r) => r.route);

  it('posts only the outcome of a deploy that finishes quickly: four GitHub requests in all', async () => {
    harness.github.requests.length = 0;
    const sha = git.commit({ 'a.txt': '1' }, { branch: 'feature-1' });
    await harness.pullRequest('opened', { repo, number: 1, sha, updatedAt: '2024-01-01T00:00:00Z' });
    await harness.waitForPhase(1, 'running');
    await waitFor(() => harness.github.comments(FULL_NAME, 1)[0]?.body.includes('Running'));
    expect(routesFor(1).sort()).toEqual(
      [
        'POST /graphql',
        'POST /repos/{owner}/{repo}/deployments',
        'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      ].sort(),
    );
    const [deployment] = harness.github.deployments(FULL_NAME);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['success']);
  });

  it('says a slow deploy is building once it takes longer than the delay, then updates the same comment', async () => {
    sim.kubelet.startDelayMs = 3_000;
    try {
      const sha = git.commit({ 'b.txt': '1' }, { branch: 'feature-2' });
      await harness.pullRequest('opened', { repo, number: 2, sha, updatedAt: '2024-01-01T00:00:00Z' });
      const building = await waitFor(
        () => harness.github.comments(FULL_NAME, 2).find((c) => c.body.includes('Building')),
        10_000,
        'the building comment',
      );
      expect((await harness.environment(2)).phase).not.toBe('running');
      await harness.waitForPhase(2, 'running', 15_000);
      await waitFor(() => harness.github.comments(FULL_NAME, 2)[0]?.body.includes('Running'));
      expect(harness.github.comments(FULL_NAME, 2).map((c) => c.id)).toEqual([building.id]);
      const deployment = harness.github.deployments(FULL_NAME).find((d) => d.sha === sha);
      expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    } finally {
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
  });

  it('reports a quick failure on a deployment of its own commit', async () => {
    const sha = git.commit({ 'c.txt': '1' }, { branch: 'feature-3' });
    sim.images.set(`${IMAGE}:${sha}`, { kind: 'pull-error' });
    await harness.pullRequest('opened', { repo, number: 3, sha, updatedAt: '2024-01-01T00:00:00Z' });
    await harness.waitForPhase(3, 'failed', 15_000);
    await waitFor(() => harness.github.comments(FULL_NAME, 3)[0]?.body.includes('Failed'));
    const deployment = await waitFor(() =>
      harness.github.deployments(FULL_NAME).find((d) => d.sha === sha && d.statuses.length > 0),
    );
    expect(deployment.statuses.map((s) => s.state)).toEqual(['failure']);
    harness.github.assertClean();
  });
});
