import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewEnvironmentName } from '../../src/github/deployment-feedback.ts';
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

const FULL_NAME = 'acme/outcomes';
const PATCH_COMMENT = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';

describe('what the PR is told about an outcome, with replicas that may die', () => {
  let sim: KubeSimulator;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];
  let clock = Date.parse('2024-01-01T00:00:00Z');
  const nextUpdate = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };
  const push = (number: number, action: string) => {
    const sha = git.commit(
      { [`change-${number}.txt`]: String(Math.random()) },
      { branch: `feature-${number}` },
    );
    return harness.pullRequest(action, { repo, number, sha, updatedAt: nextUpdate() }).then(() => sha);
  };

  beforeAll(async () => {
    sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(sim);
    git = createGitRepo({
      '.glimpse.yml': 'kubernetes:\n  image: ghcr.io/acme/outcomes:{sha}\n  port: 8080\n',
    });
    harness = await startGlimpseHarness('pglite', { runtime });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/outcomes.git' };
  });
  afterAll(async () => {
    await harness.close();
    await runtime.close();
    await sim.close();
    git.remove();
  });

  it('marks a deploy handled only once the PR comment says so, so a successor would tell the PR', async () => {
    // The harness announces "building" at once (a POST); the outcome is the PATCH that follows, made slow.
    harness.github.slowNext(PATCH_COMMENT, 3_000, 1);
    await push(1, 'opened');
    const running = await waitFor(
      async () => {
        const env = await harness.environment(1);
        return env.phase === 'running' ? env : undefined;
      },
      20_000,
      'PR 1 to be running',
    );
    // While the comment is on its way, the generation is still open: a replica killed now leaves it to another.
    expect(running.observedGeneration).toBeLessThan(running.generation);
    const done = await harness.waitForPhase(1, 'running', 20_000);
    expect(done.observedGeneration).toBe(done.generation);
    const [comment] = harness.github.comments(FULL_NAME, 1);
    expect(comment?.body).toContain('Running');
  });

  it('keeps one active GitHub deployment per PR: a success makes the earlier ones inactive', async () => {
    await push(2, 'opened');
    await harness.waitForPhase(2, 'running', 20_000);
    const head = await push(2, 'synchronize');
    await waitFor(async () => (await harness.environment(2)).deployedSha === head, 20_000, 'the push to run');
    await harness.waitForPhase(2, 'running', 20_000);
    const ofPr = harness.github
      .deployments(FULL_NAME)
      .filter((d) => d.environment === previewEnvironmentName(2));
    expect(ofPr).toHaveLength(2);
    const active = ofPr.filter((d) => d.statuses.at(-1)?.state === 'success');
    expect(active.map((d) => d.sha)).toEqual([head]);
  });
});
