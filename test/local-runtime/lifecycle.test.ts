import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import {
  FAST_TIMING,
  type Harness,
  hostOf,
  localConfig,
  processAlive,
  request,
  specFor,
  startHarness,
  waitFor,
} from './support/runtime-harness.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

function stateOf(h: Harness, namespace: string): { groups: { pid: number }[]; serving: unknown } {
  return JSON.parse(readFileSync(path.join(h.dataDir, 'local', 'previews', namespace, 'state.json'), 'utf8'));
}

describe('local runtime: cancelling and shutting down', () => {
  const suite = setupRuntimeSuite('lifecycle', { commit: 'life' });
  const slowBuild = localConfig({ build: 'echo building; sleep 30' });

  it('destroy during a build stops the build, fails the deploy and leaves nothing running', async () => {
    const ref = { namespace: 'pr-app-11', repoFullName: 'acme/app', prNumber: 11 };
    const deploying = suite.runtime
      .deploy(
        specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 11, config: slowBuild }),
        AbortSignal.timeout(20_000),
      )
      .catch((e: unknown) => e);
    await waitFor(() => {
      try {
        return stateOf(suite, ref.namespace).groups.length === 1;
      } catch {
        return false;
      }
    });
    const buildGroup = stateOf(suite, ref.namespace).groups[0]?.pid ?? -1;
    expect(processAlive(buildGroup)).toBe(true);
    const started = Date.now();
    await suite.runtime.destroy(ref, AbortSignal.timeout(20_000));
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = await deploying;
    expect(error).toBeInstanceOf(RuntimeFailure);
    expect((error as RuntimeFailure).message).toContain('destroyed');
    expect(processAlive(buildGroup)).toBe(false);
    expect(await suite.runtime.listManaged()).toEqual([]);
    expect((await request(suite.runtime.proxyPort, hostOf(suite.runtime, ref.namespace))).status).toBe(404);
  });

  it("the caller's abort signal cancels a deploy with the signal's reason", async () => {
    const controller = new AbortController();
    const deploying = suite.runtime
      .deploy(
        specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 12, config: slowBuild }),
        controller.signal,
      )
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reason = new Error('superseded by a newer push');
    controller.abort(reason);
    expect(await deploying).toBe(reason);
    await suite.runtime.destroy(
      { namespace: 'pr-app-12', repoFullName: 'acme/app', prNumber: 12 },
      AbortSignal.timeout(5_000),
    );
  });

  it('close stops preview processes but keeps their records, so the next start reports them for redeploy', async () => {
    const ref = { namespace: 'pr-app-13', repoFullName: 'acme/app', prNumber: 13 };
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 13 }),
      AbortSignal.timeout(20_000),
    );
    const pid = (await suite.runtime.inspect(ref)).workloads[0]?.pid ?? -1;
    await suite.runtime.close();
    expect(processAlive(pid)).toBe(false);
    expect(stateOf(suite, ref.namespace)).toMatchObject({ serving: null, groups: [] });

    Object.assign(suite, await startHarness(suite.dataDir));
    expect(await suite.runtime.listManaged()).toEqual([ref]);
    expect((await suite.runtime.inspect(ref)).exists).toBe(false);
  });

  it('kills a preview that ignores SIGTERM once the stop grace period is over', async () => {
    const ref = { namespace: 'pr-app-14', repoFullName: 'acme/app', prNumber: 14 };
    const config = localConfig({ env: { IGNORE_SIGTERM: '1' } });
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 14, config }),
      AbortSignal.timeout(20_000),
    );
    const pid = (await suite.runtime.inspect(ref)).workloads[0]?.pid ?? -1;
    expect(processAlive(pid)).toBe(true);
    const started = Date.now();
    await suite.runtime.destroy(ref, AbortSignal.timeout(20_000));
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAST_TIMING.stopGraceMs);
    expect(processAlive(pid)).toBe(false);
    const log = readFileSync(path.join(suite.dataDir, 'local', 'previews', 'pr-app-14', 'final.log'), 'utf8');
    expect(log).toContain('ignoring SIGTERM');
  });

  it('counts a health path that answers with a redirect as healthy', async () => {
    const config = localConfig({ env: { HEALTH_STATUS: '302' } });
    const deployed = await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 15, config }),
      AbortSignal.timeout(20_000),
    );
    const reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-15'), '/health');
    expect(reply).toMatchObject({ status: 302, headers: { location: '/' } });
    expect(deployed.url).toBe(suite.runtime.urlOf('pr-app-15'));
  });
});
