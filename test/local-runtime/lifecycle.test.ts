import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import { type AppRepo, createAppRepo } from './support/app-repo.ts';
import {
  type Harness,
  hostOf,
  localConfig,
  processAlive,
  request,
  specFor,
  startHarness,
  tempDir,
  waitFor,
} from './support/runtime-harness.ts';

function stateOf(h: Harness, namespace: string): { groups: { pid: number }[]; serving: unknown } {
  return JSON.parse(readFileSync(path.join(h.dataDir, 'local', 'previews', namespace, 'state.json'), 'utf8'));
}

describe('local runtime: cancelling and shutting down', () => {
  const temp = tempDir('lifecycle');
  let repo: AppRepo;
  let h: Harness;
  let sha: string;
  const slowBuild = localConfig({ build: 'echo building; sleep 30' });

  beforeAll(async () => {
    repo = createAppRepo(path.join(temp.dir, 'repo'));
    sha = repo.commit('life');
    h = await startHarness(path.join(temp.dir, 'data'));
  });

  afterAll(async () => {
    await h?.runtime.close();
    temp.remove();
  });

  it('destroy during a build stops the build, fails the deploy and leaves nothing running', async () => {
    const ref = { namespace: 'pr-app-11', repoFullName: 'acme/app', prNumber: 11 };
    const deploying = h.runtime
      .deploy(
        specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 11, config: slowBuild }),
        AbortSignal.timeout(20_000),
      )
      .catch((e: unknown) => e);
    await waitFor(() => {
      try {
        return stateOf(h, ref.namespace).groups.length === 1;
      } catch {
        return false;
      }
    });
    const buildGroup = stateOf(h, ref.namespace).groups[0]?.pid ?? -1;
    expect(processAlive(buildGroup)).toBe(true);
    const started = Date.now();
    await h.runtime.destroy(ref, AbortSignal.timeout(20_000));
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = await deploying;
    expect(error).toBeInstanceOf(RuntimeFailure);
    expect((error as RuntimeFailure).message).toContain('destroyed');
    expect(processAlive(buildGroup)).toBe(false);
    expect(await h.runtime.listManaged()).toEqual([]);
    expect((await request(h.runtime.proxyPort, hostOf(h.runtime, ref.namespace))).status).toBe(404);
  });

  it("the caller's abort signal cancels a deploy with the signal's reason", async () => {
    const controller = new AbortController();
    const deploying = h.runtime
      .deploy(
        specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 12, config: slowBuild }),
        controller.signal,
      )
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reason = new Error('superseded by a newer push');
    controller.abort(reason);
    expect(await deploying).toBe(reason);
    await h.runtime.destroy(
      { namespace: 'pr-app-12', repoFullName: 'acme/app', prNumber: 12 },
      AbortSignal.timeout(5_000),
    );
  });

  it('close stops preview processes but keeps their records, so the next start reports them for redeploy', async () => {
    const ref = { namespace: 'pr-app-13', repoFullName: 'acme/app', prNumber: 13 };
    await h.runtime.deploy(
      specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 13 }),
      AbortSignal.timeout(20_000),
    );
    const pid = (await h.runtime.inspect(ref)).workloads[0]?.pid ?? -1;
    await h.runtime.close();
    expect(processAlive(pid)).toBe(false);
    expect(stateOf(h, ref.namespace)).toMatchObject({ serving: null, groups: [] });

    h = await startHarness(h.dataDir);
    expect(await h.runtime.listManaged()).toEqual([ref]);
    expect((await h.runtime.inspect(ref)).exists).toBe(false);
  });
});
