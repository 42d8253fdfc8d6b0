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
  processAlive,
  request,
  specFor,
  startHarness,
  tempDir,
} from './support/runtime-harness.ts';

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
