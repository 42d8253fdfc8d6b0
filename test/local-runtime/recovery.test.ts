import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppRepo } from './support/app-repo.ts';
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
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

const ref = { namespace: 'pr-app-8', repoFullName: 'acme/app', prNumber: 8 };

describe('local runtime: Glimpse restarts', () => {
  const temp = tempDir('recovery');
  let h: Harness | undefined;

  afterAll(async () => {
    await h?.runtime.close();
    temp.remove();
  });

  it('after a SIGKILL, a new runtime stops the orphaned preview and reports it for redeploy', async () => {
    const repo = createAppRepo(path.join(temp.dir, 'repo'));
    const sha = repo.commit('before-restart');
    const dataDir = path.join(temp.dir, 'data');
    const glimpse = spawn(
      process.execPath,
      [path.join(import.meta.dirname, 'support', 'runtime-process.ts'), dataDir, repo.dir, sha],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(createInterface({ input: glimpse.stdout }), 'line')) as [string];
    const { pid } = JSON.parse(line) as { pid: number };
    glimpse.kill('SIGKILL');
    await once(glimpse, 'exit');
    expect(processAlive(pid)).toBe(true); // the detached preview outlived Glimpse

    h = await startHarness(dataDir);

    expect(processAlive(pid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'local', 'previews', ref.namespace, 'deployments'))).toBe(false);
    expect(await h.runtime.listManaged()).toEqual([ref]);
    expect(await h.runtime.inspect(ref)).toEqual({ exists: false, workloads: [] });
    const waiting = await request(h.runtime.proxyPort, hostOf(h.runtime, ref.namespace));
    expect(waiting.status).toBe(503);
    const earlier: string[] = [];
    for await (const entry of h.runtime.logs(ref, { tailLines: 100, timestamps: false, follow: false }))
      earlier.push(entry.text);
    expect(earlier.some((text) => text.startsWith('listening on'))).toBe(true);

    await h.runtime.deploy(
      specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 8 }),
      AbortSignal.timeout(20_000),
    );
    const served = await request(h.runtime.proxyPort, hostOf(h.runtime, ref.namespace));
    expect(served.body).toBe(`version=before-restart commit=${sha}\n`);
  });

  it('a pid in a stale state file that now belongs to another process is left alone', async () => {
    const dataDir = path.join(temp.dir, 'stale');
    const dir = path.join(dataDir, 'local', 'previews', 'pr-app-9');
    mkdirSync(dir, { recursive: true });
    // Our own pid with a start time that does not match: a reused pid.
    const state = {
      version: 1,
      ref: { ...ref, namespace: 'pr-app-9', prNumber: 9 },
      serving: null,
      groups: [{ pid: process.pid, startTime: 1 }],
    };
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const other = await startHarness(dataDir);
    try {
      expect(processAlive(process.pid)).toBe(true);
      expect((await other.runtime.listManaged()).map((r) => r.namespace)).toEqual(['pr-app-9']);
    } finally {
      await other.runtime.close();
    }
  });
});

describe('local runtime: what the proxy says after a restart', () => {
  const suite = setupRuntimeSuite('recovery-pages', { commit: 'kept' });
  const failingBuild = localConfig({ build: 'echo "src/app.ts: syntax error" >&2; exit 4' });
  const restart = async () => {
    await suite.runtime.close();
    Object.assign(suite, await startHarness(suite.dataDir));
  };
  const page = (namespace: string) => request(suite.runtime.proxyPort, hostOf(suite.runtime, namespace));

  it('a preview whose first build failed shows the failed page again, until a deploy succeeds', async () => {
    const failed = suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 20, config: failingBuild }),
      AbortSignal.timeout(20_000),
    );
    await expect(failed).rejects.toThrow('exit code 4');

    await restart();

    const reply = await page('pr-app-20');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('This preview failed');
    expect(reply.body).toContain('href="http://glimpse.test:3000/environments/pr-app-20"');
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 20 }),
      AbortSignal.timeout(20_000),
    );
    expect((await page('pr-app-20')).body).toBe(`version=kept commit=${suite.sha}\n`);

    await restart();

    expect((await page('pr-app-20')).body).toContain('This preview is being built');
  });

  it('a preview whose redeploy failed while the old version served shows the failed page', async () => {
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 21 }),
      AbortSignal.timeout(20_000),
    );
    const broken = suite.repo.commit('broken');
    const failed = suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: broken, prNumber: 21, config: failingBuild }),
      AbortSignal.timeout(20_000),
    );
    await expect(failed).rejects.toThrow('exit code 4');
    expect((await page('pr-app-21')).body).toBe(`version=kept commit=${suite.sha}\n`);

    await restart();

    const reply = await page('pr-app-21');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('This preview failed');
  });

  it('a preview asked again for the version it kept serving after a failed redeploy is not failed', async () => {
    const served = specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 23 });
    await suite.runtime.deploy(served, AbortSignal.timeout(20_000));
    const failed = suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 23, config: failingBuild }),
      AbortSignal.timeout(20_000),
    );
    await expect(failed).rejects.toThrow('exit code 4');
    await suite.runtime.deploy({ ...served, deploymentId: 'dep-again' }, AbortSignal.timeout(20_000));

    await restart();

    expect((await page('pr-app-23')).body).toContain('This preview is being built');
  });

  it('a preview given up after crashing too often shows the failed page', async () => {
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 24 }),
      AbortSignal.timeout(20_000),
    );
    for (let crash = 1; crash <= 3; crash++) {
      await waitFor(async () => (await page('pr-app-24')).status === 200);
      await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-24'), '/crash');
      await waitFor(async () => (await page('pr-app-24')).status !== 200);
    }
    await waitFor(async () => (await page('pr-app-24')).body.includes('This preview failed'));

    await restart();

    expect((await page('pr-app-24')).body).toContain('This preview failed');
  });

  it('a deploy cut short by the shutdown is not reported as failed after the restart', async () => {
    let building: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      building = resolve;
    });
    const deploying = suite.runtime.deploy(
      specFor({
        cloneUrl: suite.repo.dir,
        commitSha: suite.sha,
        prNumber: 22,
        config: localConfig({ build: 'sleep 30' }),
        onPhase: building,
      }),
      AbortSignal.timeout(20_000),
    );
    await started;

    await restart();

    await expect(deploying).rejects.toThrow('shutting down');
    expect((await page('pr-app-22')).body).toContain('This preview is being built');
  });
});
