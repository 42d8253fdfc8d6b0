import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlimpseConfig } from '../../src/domain/glimpse-config.ts';
import type { PreviewFailure } from '../../src/runtimes/local/local-runtime-options.ts';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import {
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

async function deployError(
  h: Harness,
  spec: Parameters<Harness['runtime']['deploy']>[0],
): Promise<RuntimeFailure> {
  const error = await h.runtime.deploy(spec, AbortSignal.timeout(20_000)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RuntimeFailure);
  return error as RuntimeFailure;
}

describe('local runtime: failures', () => {
  const givenUp: PreviewFailure[] = [];
  const suite = setupRuntimeSuite('failures', {
    commit: 'v1.1',
    runtime: {
      healthTimeoutMs: 1_500,
      buildTimeoutMs: 1_500,
      onPreviewFailed: (failure) => givenUp.push(failure),
    },
  });

  it('a repo without local.start fails permanently, saying what to add', async () => {
    const config = GlimpseConfig.parse({ local: { install: 'npm ci' } });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, config }),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('add local.start to .glimpse.yml');
    expect(failure.message).toContain('start: npm start');
  });

  it('refuses file:// and local-path clone URLs unless allowFileRepos is set', async () => {
    const strict = await startHarness(path.join(suite.dir, 'strict'), { allowFileRepos: false });
    try {
      for (const cloneUrl of [suite.repo.dir, `file://${suite.repo.dir}`]) {
        const failure = await deployError(strict, specFor({ cloneUrl, commitSha: suite.sha }));
        expect(failure.transient).toBe(false);
        expect(failure.message).toContain('GLIMPSE_ALLOW_FILE_REPOS');
      }
      const ssh = await deployError(
        strict,
        specFor({ cloneUrl: 'ssh://git@example.com/a/b.git', commitSha: suite.sha }),
      );
      expect(ssh.message).toContain('must use https');
    } finally {
      await strict.runtime.close();
    }
  });

  it('a failing first build fails permanently with the exit code and last log lines, and the proxy says so', async () => {
    const config = localConfig({
      install: 'echo fetching deps',
      build: 'echo "src/app.ts: syntax error" >&2; exit 4',
    });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 2, config }),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('exit code 4');
    expect(failure.logExcerpt).toEqual(
      expect.arrayContaining(['install: fetching deps', 'build: src/app.ts: syntax error']),
    );
    const reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-2'));
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('This preview failed');
    expect(reply.body).toContain('href="http://glimpse.test:3000/environments/pr-app-2"');
    expect(
      (await suite.runtime.inspect({ namespace: 'pr-app-2', repoFullName: 'acme/app', prNumber: 2 })).exists,
    ).toBe(false);
  });

  it('a build that exceeds the time limit is stopped and fails', async () => {
    const started = Date.now();
    const config = localConfig({ build: 'echo starting long build; sleep 30' });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 3, config }),
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(failure.message).toContain('did not finish within 2 s');
    expect(failure.logExcerpt).toContain('build: starting long build');
  });

  it('a build that leaves a background process behind still finishes, and the leftover is stopped', async () => {
    const config = localConfig({ build: 'sleep 60 & echo "$!" > watcher.pid; echo built' });
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 14, config }),
      AbortSignal.timeout(20_000),
    );
    // Had the step waited for its pipes to close, it would have hit the 1.5 s build limit and failed.
    const worktrees = path.join(suite.dataDir, 'local', 'previews', 'pr-app-14', 'deployments');
    const [key] = readdirSync(worktrees);
    const watcher = Number(readFileSync(path.join(worktrees, key ?? '', 'src', 'watcher.pid'), 'utf8'));
    await waitFor(() => !processAlive(watcher), 3_000);
  });

  it('an app that crashes on start fails with its exit code and output', async () => {
    const config = localConfig({ env: { CRASH_ON_START: 'yes' } });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 4, config }),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('exit code 3');
    expect(failure.logExcerpt).toContain('app: boom: refusing to start');
  });

  it('an app that never answers its health path fails after the health timeout', async () => {
    const config = localConfig({ start: 'echo not listening; sleep 60' });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 5, config }),
    );
    expect(failure.message).toContain('did not answer GET /health');
    expect(failure.message).toContain('nothing listened on port');
    expect(failure.message).toContain('must listen on the port in $PORT');
    expect(failure.logExcerpt).toContain('app: not listening');
  });

  it('an app that answers its health path with an error status fails saying which status', async () => {
    const config = localConfig({ env: { HEALTH_STATUS: '503' } });
    const failure = await deployError(
      suite,
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 15, config }),
    );
    expect(failure.message).toContain('did not answer GET /health with 2xx or 3xx');
    expect(failure.message).toContain('it answered 503');
    expect(failure.message).toContain('set local.health in .glimpse.yml');
    expect(failure.message).not.toContain('must listen on the port');
  });

  it('an app that accepts connections but never answers fails saying so', async () => {
    const silent = `node -e "require('net').createServer(() => {}).listen(process.env.PORT)"`;
    const failure = await deployError(
      suite,
      specFor({
        cloneUrl: suite.repo.dir,
        commitSha: suite.sha,
        prNumber: 16,
        config: localConfig({ start: silent }),
      }),
    );
    expect(failure.message).toMatch(/accepted the connection but sent no answer|no probe could be made/);
  });

  it('a running app that crashes 3 times is given up: callback, inspect and proxy all report it', async () => {
    const target = { namespace: 'pr-app-6', repoFullName: 'acme/app', prNumber: 6 };
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 6 }),
      AbortSignal.timeout(20_000),
    );
    const host = hostOf(suite.runtime, target.namespace);
    for (let crash = 1; crash <= 3; crash++) {
      await waitFor(async () => (await request(suite.runtime.proxyPort, host)).status === 200);
      await request(suite.runtime.proxyPort, host, '/crash');
      await waitFor(async () => (await request(suite.runtime.proxyPort, host)).status !== 200);
    }
    await waitFor(() => givenUp.length === 1);
    expect(givenUp[0]).toMatchObject({ ref: target, commitSha: suite.sha, exitCode: 7 });
    expect(givenUp[0]?.message).toContain('crashed 3 times');
    expect(givenUp[0]?.logExcerpt).toContain('app: crashing on request');
    const observed = await suite.runtime.inspect(target);
    expect(observed.exists).toBe(true);
    expect(observed.workloads[0]).toMatchObject({ phase: 'failed', ready: false, restarts: 2 });
    expect(observed.workloads[0]?.message).toContain('crashed 3 times');
    const reply = await request(suite.runtime.proxyPort, host);
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('This preview failed');

    // A new push brings it back.
    const fixed = suite.repo.commit('v1.2');
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: fixed, prNumber: 6 }),
      AbortSignal.timeout(20_000),
    );
    expect((await request(suite.runtime.proxyPort, host)).body).toBe(`version=v1.2 commit=${fixed}\n`);
    expect(suite.runtime.failureOf(target)).toBeUndefined();
    expect((await suite.runtime.inspect(target)).workloads[0]).toMatchObject({
      phase: 'running',
      ready: true,
    });
  });

  it('the proxy refuses to start on a port in use, naming the setting to change', async () => {
    const error = await startHarness(path.join(suite.dir, 'busy'), {
      proxyPort: suite.runtime.proxyPort,
    }).catch((e: unknown) => e);
    expect(String(error)).toContain('the port is in use');
    expect(String(error)).toContain('GLIMPSE_PROXY_PORT');
  });
});
