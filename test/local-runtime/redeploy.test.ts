import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import {
  type Harness,
  hostOf,
  localConfig,
  processAlive,
  request,
  specFor,
} from './support/runtime-harness.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

const ref = { namespace: 'pr-app-7', repoFullName: 'acme/app', prNumber: 7 };

/** Polls the preview through the proxy until stopped, recording every status and body. */
function startPolling(h: Harness): { stop: () => Promise<{ status: number; body: string }[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const replies: { status: number; body: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        replies.push(await request(h.runtime.proxyPort, hostOf(h.runtime, ref.namespace), '/', agent));
      } catch (error) {
        replies.push({ status: 0, body: String(error) });
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return replies;
    },
  };
}

describe('local runtime: redeploying a preview', () => {
  const suite = setupRuntimeSuite('redeploy', { commit: 'one' });
  // The app needs a moment before it listens, so the switch only works if Glimpse waits for health.
  const config = localConfig({ build: 'sleep 0.2', env: { START_DELAY_MS: '300' } });

  beforeAll(async () => {
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 7, config }),
      AbortSignal.timeout(20_000),
    );
  });

  it('switches to a new commit while a client polling throughout never gets a non-2xx', async () => {
    const old = await suite.runtime.inspect(ref);
    const oldPid = old.workloads[0]?.pid ?? -1;
    const oldState = JSON.parse(
      readFileSync(path.join(suite.dataDir, 'local', 'previews', ref.namespace, 'state.json'), 'utf8'),
    );
    const poller = startPolling(suite);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = suite.repo.commit('two');
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: second, prNumber: 7, config }),
      AbortSignal.timeout(20_000),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const replies = await poller.stop();

    expect(replies.length).toBeGreaterThan(20);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const versions = replies.map((r) =>
      r.body.includes('version=two') ? 'two' : r.body.includes('version=one') ? 'one' : r.body,
    );
    const firstTwo = versions.indexOf('two');
    expect(versions[0]).toBe('one');
    expect(firstTwo).toBeGreaterThan(0);
    expect(versions.slice(firstTwo).every((v) => v === 'two')).toBe(true);
    expect(replies.at(-1)?.body).toBe(`version=two commit=${second}\n`);

    expect(processAlive(oldPid)).toBe(false);
    const oldWorktree = path.join(path.dirname(oldState.serving.logFile), '..', 'deployments');
    expect(existsSync(path.join(oldWorktree, path.basename(oldState.serving.logFile, '.log')))).toBe(false);
  });

  it('keeps the old version serving when the new build fails, and reports exit code and log lines', async () => {
    const before = await suite.runtime.inspect(ref);
    const broken = suite.repo.commit('three');
    const failing = localConfig({ build: 'echo compiling; echo "error TS2322: nope" >&2; exit 2' });
    const poller = startPolling(suite);
    const error = await suite.runtime
      .deploy(
        specFor({ cloneUrl: suite.repo.dir, commitSha: broken, prNumber: 7, config: failing }),
        AbortSignal.timeout(20_000),
      )
      .catch((e: unknown) => e);
    const replies = await poller.stop();

    expect(error).toBeInstanceOf(RuntimeFailure);
    const failure = error as RuntimeFailure;
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('build command failed with exit code 2');
    expect(failure.logExcerpt).toEqual(
      expect.arrayContaining(['build: compiling', 'build: error TS2322: nope']),
    );
    expect(replies.filter((r) => r.status !== 200 || !r.body.includes('version=two'))).toEqual([]);
    expect((await suite.runtime.inspect(ref)).workloads[0]?.pid).toBe(before.workloads[0]?.pid);
  });

  it('keeps the old version serving when the new version crashes on start', async () => {
    const crashing = suite.repo.commit('four');
    const crashConfig = localConfig({ env: { CRASH_ON_START: '1' } });
    const error = await suite.runtime
      .deploy(
        specFor({ cloneUrl: suite.repo.dir, commitSha: crashing, prNumber: 7, config: crashConfig }),
        AbortSignal.timeout(20_000),
      )
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RuntimeFailure);
    expect((error as RuntimeFailure).message).toContain('exited with exit code 3 3 times');
    expect((error as RuntimeFailure).logExcerpt).toContain('app: boom: refusing to start');
    const reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, ref.namespace));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('version=two');
    expect((await suite.runtime.inspect(ref)).workloads[0]).toMatchObject({ phase: 'running', ready: true });
  });
});
