import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/runtimes/runtime.ts';
import { type AppRepo, createAppRepo } from './support/app-repo.ts';
import {
  type Harness,
  hostOf,
  localConfig,
  portOpen,
  processAlive,
  request,
  specFor,
  startHarness,
  tempDir,
} from './support/runtime-harness.ts';

describe('local runtime: deploy, serve, destroy', () => {
  const temp = tempDir('deploy');
  let repo: AppRepo;
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    repo = createAppRepo(path.join(temp.dir, 'repo'));
    sha = repo.commit('v2');
    h = await startHarness(path.join(temp.dir, 'data'));
  });

  afterAll(async () => {
    await h?.runtime.close();
    temp.remove();
  });

  it('builds the commit, reports phases, and serves it through the proxy at its URL', async () => {
    const phases: string[] = [];
    const spec = specFor({
      cloneUrl: repo.dir,
      commitSha: sha,
      config: localConfig({ install: 'echo installing', build: 'echo built > BUILT' }),
      onPhase: (phase) => phases.push(phase),
    });
    const deployed = await h.runtime.deploy(spec, AbortSignal.timeout(20_000));
    expect(deployed.url).toBe(`http://pr-app-1.localhost:${h.runtime.proxyPort}`);
    expect(phases).toEqual(['building', 'deploying']);
    const reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(`version=v2 commit=${sha}\n`);
  });

  it('is idempotent: deploying the running commit again keeps the same process', async () => {
    const before = await h.runtime.inspect({ namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 });
    await h.runtime.deploy(
      specFor({
        cloneUrl: repo.dir,
        commitSha: sha,
        config: localConfig({ install: 'echo installing', build: 'echo built > BUILT' }),
      }),
      AbortSignal.timeout(20_000),
    );
    const after = await h.runtime.inspect({ namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 });
    expect(after.workloads[0]?.pid).toBe(before.workloads[0]?.pid);
  });

  it('inspect reports the process with its usage from /proc', async () => {
    const observed = await h.runtime.inspect({
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
    for await (const line of h.runtime.logs(ref, { tailLines: 100, timestamps: true, follow: false }))
      lines.push(line);
    expect(lines).toContainEqual(expect.objectContaining({ source: 'install', text: 'installing' }));
    expect(lines.some((l) => l.source === 'app' && l.text.startsWith('listening on'))).toBe(true);
    expect(lines.every((l) => l.time instanceof Date && !Number.isNaN(l.time.getTime()))).toBe(true);
    const tail: LogLine[] = [];
    for await (const line of h.runtime.logs(ref, { tailLines: 1, timestamps: false, follow: false }))
      tail.push(line);
    expect(tail).toHaveLength(1);
    expect(tail[0]?.time).toBeUndefined();
  });

  it('follow yields lines as the app writes them', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of h.runtime.logs(ref, {
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
    await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'), '/crash');
    await following;
    expect(seen).toContain('crashing on request');
  });

  it('restarts a crashed app and counts the restart', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    let observed = await h.runtime.inspect(ref);
    for (let i = 0; i < 100 && observed.workloads[0]?.restarts !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      observed = await h.runtime.inspect(ref);
    }
    expect(observed.workloads[0]?.restarts).toBe(1);
    let reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'));
    for (let i = 0; i < 100 && reply.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'));
    }
    expect(reply.body).toContain('version=v2');
  });

  it('serves two previews at once on different hosts, and sanitised names stay separate', async () => {
    const other = repo.commit('v3');
    const spec = specFor({
      cloneUrl: repo.dir,
      commitSha: other,
      namespace: 'pr-my-weird-repo-42',
      repoFullName: 'Acme Corp/My.Weird_Repo',
      prNumber: 42,
    });
    // Deployed together with a third preview of the same repo: the cached clone is shared.
    const third = specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 3 });
    await Promise.all([
      h.runtime.deploy(spec, AbortSignal.timeout(20_000)),
      h.runtime.deploy(third, AbortSignal.timeout(20_000)),
    ]);
    expect((await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-3'))).body).toBe(
      `version=v2 commit=${sha}\n`,
    );
    await h.runtime.destroy(third, AbortSignal.timeout(20_000));
    const first = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'));
    const second = await request(h.runtime.proxyPort, `PR-My-Weird-Repo-42.LOCALHOST:${h.runtime.proxyPort}`);
    expect(first.body).toContain('version=v2');
    expect(second.body).toBe(`version=v3 commit=${other}\n`);
    const managed = await h.runtime.listManaged();
    expect(managed.map((r) => r.namespace).sort()).toEqual(['pr-app-1', 'pr-my-weird-repo-42']);
    const repos = readdirSync(path.join(h.dataDir, 'local', 'repos'));
    expect(repos.every((name) => /^[a-z0-9._-]+$/.test(name))).toBe(true);
  });

  it('destroy stops the process group, frees the port, removes worktrees and keeps only the final log', async () => {
    const ref = { namespace: 'pr-app-1', repoFullName: 'acme/app', prNumber: 1 };
    const observed = await h.runtime.inspect(ref);
    const pid = observed.workloads[0]?.pid ?? -1;
    const state = JSON.parse(
      readFileSync(path.join(h.dataDir, 'local', 'previews', 'pr-app-1', 'state.json'), 'utf8'),
    );
    const port: number = state.serving.port;
    expect(await portOpen(port)).toBe(true);

    await h.runtime.destroy(ref, AbortSignal.timeout(20_000));

    expect(processAlive(pid)).toBe(false);
    expect(await portOpen(port)).toBe(false);
    const previewDir = path.join(h.dataDir, 'local', 'previews', 'pr-app-1');
    expect(readdirSync(previewDir)).toEqual(['final.log']);
    expect((await h.runtime.inspect(ref)).exists).toBe(false);
    expect((await h.runtime.listManaged()).map((r) => r.namespace)).toEqual(['pr-my-weird-repo-42']);
    expect((await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-1'))).status).toBe(404);
    const lines: string[] = [];
    for await (const line of h.runtime.logs(ref, { tailLines: 500, timestamps: false, follow: false }))
      lines.push(line.text);
    expect(lines.some((text) => text.startsWith('listening on'))).toBe(true);

    await h.runtime.destroy(ref, AbortSignal.timeout(5_000)); // idempotent
    await h.runtime.purge(ref);
    expect(existsSync(previewDir)).toBe(false);
  });
});
