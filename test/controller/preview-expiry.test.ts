import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { environments } from '../../src/db/schema.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { FAST_KUBELET, fastRuntime } from '../kubernetes-runtime/runtime-fixture.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/shop';
const GLIMPSE_YML = 'ttl: 1h\nkubernetes:\n  image: ghcr.io/acme/shop:{sha}\n  port: 8080\n';

describe('a preview past its ttl', () => {
  let sim: KubeSimulator;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];
  let clock = Date.parse('2024-01-01T00:00:00Z');

  beforeAll(async () => {
    sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(sim);
    git = createGitRepo({ '.glimpse.yml': GLIMPSE_YML });
    // One deploy at a time, so a push can wait in the queue while its preview's ttl passes.
    harness = await startGlimpseHarness('pglite', { runtime, env: { GLIMPSE_MAX_CONCURRENT_DEPLOYS: '1' } });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/shop.git' };
  });
  afterAll(async () => {
    await harness.close();
    await runtime.close();
    await sim.close();
    git.remove();
  });

  const pullRequest = (action: string, number: number) => {
    const sha = git.commit(
      { [`change-${number}.txt`]: String(Math.random()) },
      { branch: `feature-${number}` },
    );
    clock += 60_000;
    return {
      sha,
      sent: harness.pullRequest(action, { repo, number, sha, updatedAt: new Date(clock).toISOString() }),
    };
  };

  it('deploys a push that waited while the ttl passed, instead of removing the preview', async () => {
    const first = pullRequest('opened', 1);
    await first.sent;
    await harness.waitForPhase(1, 'running');

    sim.kubelet.startDelayMs = 2_000;
    try {
      await pullRequest('opened', 2).sent;
      await waitFor(async () => (await harness.deploymentsOf(2)).some((d) => d.status === 'in_progress'));
      const push = pullRequest('synchronize', 1);
      expect((await push.sent).status).toBe(202);
      const waiting = await harness.environment(1);
      expect(waiting.generation).toBeGreaterThan(waiting.observedGeneration);
      await harness.database.handle.db
        .update(environments)
        .set({ expiresAt: new Date(Date.now() - 1_000) })
        .where(eq(environments.id, waiting.id));

      const env = await waitFor(async () => {
        const row = await harness.environment(1);
        return (row.phase === 'deleted' || row.deployedSha === push.sha) && row;
      }, 20_000);
      expect(env).toMatchObject({ phase: 'running', deployedSha: push.sha });
      expect(env.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
      expect(sim.get('', 'namespaces', undefined, 'pr-shop-1')).toBeDefined();
    } finally {
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
  });
});
