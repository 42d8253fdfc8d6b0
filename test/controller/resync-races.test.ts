import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { FAST_KUBELET, fastRuntime } from '../kubernetes-runtime/runtime-fixture.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/resync';

const LISTING = 'GET /repos/{owner}/{repo}/pulls';

/**
 * A resync pass while PRs change, as the controller soak (issue 20) found it. The pass reads the environments,
 * then looks at the running ones in the cluster, then at which PRs GitHub lists as open; webhooks and
 * controllers go on meanwhile.
 */
describe.each(databaseTargets())('a resync pass while PRs change (%s)', (target) => {
  let sim: KubeSimulator;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];
  let clock = Date.parse('2024-01-01T00:00:00Z');
  /** Runs inside the pass's next look at the running environments, before the cluster is asked. */
  let duringLook: ((namespaces: readonly string[]) => Promise<void>) | undefined;

  beforeAll(async () => {
    sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(sim);
    // The real runtime, with a moment to act in while a resync pass looks at one environment.
    const watched: Runtime = {
      name: runtime.name,
      requiredChecks: (config) => runtime.requiredChecks(config),
      deploy: (spec, signal) => runtime.deploy(spec, signal),
      destroy: (ref, signal) => runtime.destroy(ref, signal),
      logs: (ref, options) => runtime.logs(ref, options),
      inspect: (ref) => runtime.inspect(ref),
      listManaged: () => runtime.listManaged(),
      findVanished: async (namespaces) => {
        const hook = duringLook;
        duringLook = undefined;
        await hook?.(namespaces);
        return runtime.findVanished(namespaces);
      },
      close: () => runtime.close(),
    };
    git = createGitRepo({
      '.glimpse.yml': 'kubernetes:\n  image: ghcr.io/acme/resync:{sha}\n  port: 8080\n',
    });
    // Resync runs only when the test says so.
    harness = await startGlimpseHarness(target, {
      runtime: watched,
      env: { GLIMPSE_RESYNC_SECONDS: '3600' },
    });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/resync.git' };
  });
  afterAll(async () => {
    await harness.close();
    await sim.close();
    git.remove();
  });

  const nextUpdate = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };

  // A PR closed meanwhile had its namespace deleted by the controller; the pass, finding it gone, asked for the
  // preview again (undoing the close), then found the PR closed and closed it again: the namespace was deleted
  // twice (issue 20, item 5).
  it('leaves a PR closed during the pass closed, and its namespace is deleted once', async () => {
    const sha = git.commit({ 'change.txt': 'one' }, { branch: 'feature-7' });
    await harness.pullRequest('opened', { repo, number: 7, sha, updatedAt: nextUpdate() });
    await harness.waitForPhase(7, 'running');
    const namespace = (await harness.environment(7)).namespace;
    let closedAt = 0;
    duringLook = async (namespaces) => {
      expect(namespaces).toEqual([namespace]);
      await harness.pullRequest('closed', { repo, number: 7, sha, updatedAt: nextUpdate() });
      closedAt = (await harness.waitForPhase(7, 'deleted')).generation;
    };

    const report = await harness.resync();
    expect(closedAt).toBeGreaterThan(0);
    // The close was handled while the pass looked: the pass neither brings the preview back nor closes it again.
    expect(report.redeployed).toEqual([]);
    expect(report.closed).toEqual([]);
    const env = await harness.waitForPhase(7, 'deleted');
    expect(env).toMatchObject({ desiredState: 'closed', generation: closedAt });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await harness.environment(7)).generation).toBe(closedAt);
    expect(sim.get('', 'namespaces', undefined, namespace)).toBeUndefined();
    const deletes = sim.requests.count({
      verb: 'delete',
      resource: 'namespaces',
      path: new RegExp(`^/api/v1/namespaces/${namespace}$`),
    });
    expect(deletes).toBe(1);
    expect((await harness.deploymentsOf(7)).map((d) => d.status)).toEqual(['succeeded']);
  });

  // GitHub pages through the open PRs newest first while they change: a PR closing between two pages moves the
  // others up one, and the oldest slipped from the second page to the first, already read. Its preview was
  // deleted though the PR was open, and its pushes were ignored from then on.
  it('keeps the preview of an open PR that slipped between two pages of the open PRs', async () => {
    const sha = git.commit({ 'change.txt': 'two' }, { branch: 'feature-1' });
    await harness.pullRequest('opened', { repo, number: 1, sha, updatedAt: nextUpdate() });
    await harness.waitForPhase(1, 'running');
    // 101 open PRs: PR 1 alone on the second page.
    for (let number = 200; number < 300; number++)
      await harness.github.openPullRequest({ repo: FULL_NAME, number, headRef: 'feature-1', headSha: sha });
    const before = await harness.environment(1);
    harness.github.slowNext(LISTING, 0, 1);
    harness.github.slowNext(LISTING, 3_000, 1);
    const asked = harness.github.requestsTo(LISTING).length;
    const pass = harness.resync();
    await waitFor(
      () => harness.github.requestsTo(LISTING).length >= asked + 2,
      10_000,
      'the second page to be asked for',
    );
    harness.github.closePullRequest(FULL_NAME, 299);
    const report = await pass;
    expect(harness.github.requestsTo(LISTING).length).toBe(asked + 2);
    expect(report.closed).toEqual([]);
    expect(await harness.environment(1)).toMatchObject({
      desiredState: 'active',
      generation: before.generation,
      phase: 'running',
    });
  });
});
