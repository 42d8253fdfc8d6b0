import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/domain/log-line.ts';
import { hostOf, localConfig, portOpen, processAlive, request, specFor } from './support/runtime-harness.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

describe('local runtime: deploy, serve, destroy', () => {
  const suite = setupRuntimeSuite('deploy', { commit: 'v2' });

  it('builds the commit, reports phases, and serves it through the proxy at its URL', async () => {
    const phases: string[] = [];
    const spec = specFor({
      cloneUrl: suite.repo.dir,
      commitSha: suite.sha,
      config: localConfig({ install: 'echo installing', build: 'echo built > BUILT' }),
      onPhase: (phase) => phases.push(phase),
    });
    const deployed = await suite.runtime.deploy(spec, AbortSignal.timeout(20_000));
    expect(deployed.url).toBe(`http://pr-app-1.localhost:${suite.runtime.proxyPort}`);
    expect(phases).toEqual(['building', 'deploying']);
    const reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(`version=v2 commit=${suite.sha}\n`);
  });

  it('is idempotent: deploying the running commit again keeps the same process', async () => {
    const before = await suite.runtime.inspect({
      namespace: 'pr-app-1',
      repoFullName: 'acme/app',
      prNumber: 1,
    });
    await suite.runtime.deploy(
      specFor({
        cloneUrl: suite.repo.dir,
        commitSha: suite.sha,
        config: localConfig({ install: 'echo installing', build: 'echo built > BUILT' }),
      }),
      AbortSignal.timeout(20_000),
    );
    const after = await suite.runtime.inspect({
      namespace: 'pr-app-1',
      repoFullName: 'acme/app',
      prNumber: 1,
    });
    expect(after.workloads[0]?.pid).toBe(before.workloads[0]?.pid);
  });

  it('inspect reports the process with its usage from /proc', async () => {
    const observed = await suite.runtime.inspect({
      namespace: 'pr-app-1',
      repoFullName: 'acme/app',
      prNumber: 1,
    });
    expect(observed.exists).toBe(true);
    const app = observed.workloads[0];
    expect(app).toMatchObject({ name: 'app', phase: 'running', ready: true, restarts: 0 });
    expect(processAlive(app?.pid ?? -1)).toBe(true);
    expect(app?.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(app?.cpuMillicores).toBeGreaterThanOrEqual(0);
    expect(app?.startedAt).toBeInstanceOf(Date);
  });

  it('logs hold install, build and app output with a timestamp per line', async () => {
    const lines: LogLine[] = [];
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    for await (const line of suite.runtime.logs(ref, { tailLines: 100, timestamps: true, follow: false }))
      lines.push(line);
    expect(lines).toContainEqual(expect.objectContaining({ source: 'install', text: 'installing' }));
    expect(lines.some((l) => l.source === 'app' && l.text.startsWith('listening on'))).toBe(true);
    expect(lines.every((l) => l.time instanceof Date && !Number.isNaN(l.time.getTime()))).toBe(true);
    const tail: LogLine[] = [];
    for await (const line of suite.runtime.logs(ref, { tailLines: 1, timestamps: false, follow: false }))
      tail.push(line);
    expect(tail).toHaveLength(1);
    expect(tail[0]?.time).toBeUndefined();
  });

  it('follow yields lines as the app writes them', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of suite.runtime.logs(ref, {
        tailLines: 0,
        timestamps: true,
        follow: true,
        signal: controller.signal,
      })) {
        seen.push(line.text);
        if (line.text === 'crashing on request') controller.abort();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'), '/crash');
    await following;
    expect(seen).toContain('crashing on request');
  });

  it('restarts a crashed app and counts the restart', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    let observed = await suite.runtime.inspect(ref);
    for (let i = 0; i < 100 && observed.workloads[0]?.restarts !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      observed = await suite.runtime.inspect(ref);
    }
    expect(observed.workloads[0]?.restarts).toBe(1);
    let reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'));
    for (let i = 0; i < 100 && reply.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      reply = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'));
    }
    expect(reply.body).toContain('version=v2');
  });

  it('serves two previews at once on different hosts, and sanitised names stay separate', async () => {
    const other = suite.repo.commit('v3');
    const spec = specFor({
      cloneUrl: suite.repo.dir,
      commitSha: other,
      namespace: 'pr-my-weird-repo-42',
      repoFullName: 'Acme Corp/My.Weird_Repo',
      prNumber: 42,
    });
    // Deployed together with a third preview of the same repo: the cached clone is shared.
    const third = specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 3 });
    await Promise.all([
      suite.runtime.deploy(spec, AbortSignal.timeout(20_000)),
      suite.runtime.deploy(third, AbortSignal.timeout(20_000)),
    ]);
    expect((await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-3'))).body).toBe(
      `version=v2 commit=${suite.sha}\n`,
    );
    await suite.runtime.destroy(third, AbortSignal.timeout(20_000));
    const first = await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'));
    const second = await request(
      suite.runtime.proxyPort,
      `PR-My-Weird-Repo-42.LOCALHOST:${suite.runtime.proxyPort}`,
    );
    expect(first.body).toContain('version=v2');
    expect(second.body).toBe(`version=v3 commit=${other}\n`);
    const managed = await suite.runtime.listManaged();
    expect(managed.map((r) => r.namespace).sort()).toEqual(['pr-app-1', 'pr-my-weird-repo-42']);
    const repos = readdirSync(path.join(suite.dataDir, 'local', 'repos'));
    expect(repos.every((name) => /^[a-z0-9._-]+$/.test(name))).toBe(true);
  });

  it('destroy stops the process group, frees the port, removes worktrees and keeps only the final log', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    const observed = await suite.runtime.inspect(ref);
    const pid = observed.workloads[0]?.pid ?? -1;
    const state = JSON.parse(
      readFileSync(path.join(suite.dataDir, 'local', 'previews', 'pr-app-1', 'state.json'), 'utf8'),
    );
    const port: number = state.serving.port;
    expect(await portOpen(port)).toBe(true);

    await suite.runtime.destroy(ref, AbortSignal.timeout(20_000));

    expect(processAlive(pid)).toBe(false);
    expect(await portOpen(port)).toBe(false);
    const previewDir = path.join(suite.dataDir, 'local', 'previews', 'pr-app-1');
    expect(readdirSync(previewDir)).toEqual(['final.log']);
    expect((await suite.runtime.inspect(ref)).exists).toBe(false);
    expect((await suite.runtime.listManaged()).map((r) => r.namespace)).toEqual(['pr-my-weird-repo-42']);
    expect((await request(suite.runtime.proxyPort, hostOf(suite.runtime, 'pr-app-1'))).status).toBe(404);
    const lines: string[] = [];
    for await (const line of suite.runtime.logs(ref, { tailLines: 500, timestamps: false, follow: false }))
      lines.push(line.text);
    expect(lines.some((text) => text.startsWith('listening on'))).toBe(true);

    await suite.runtime.destroy(ref, AbortSignal.timeout(5_000)); // idempotent
    await suite.runtime.purge(ref);
    expect(existsSync(previewDir)).toBe(false);
  });
});
