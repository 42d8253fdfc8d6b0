import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureKubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';

it('unpacks kubectl v1.32 and helm v3.17 once, even when called concurrently', async () => {
  const binDir = await mkdtemp(join(tmpdir(), 'kube-tools-'));
  try {
    const results = await Promise.all([ensureKubeTools({ binDir }), ensureKubeTools({ binDir })]);
    expect(results[0]).toEqual(results[1]);
    expect((await readdir(binDir)).sort()).toEqual(['.stamp', 'helm', 'kubectl']);
    for (const bin of [results[0].kubectl, results[0].helm])
      expect((await stat(bin)).mode & 0o111).not.toBe(0);
    const before = (await stat(results[0].kubectl)).mtimeMs;
    await ensureKubeTools({ binDir });
    expect((await stat(results[0].kubectl)).mtimeMs).toBe(before);
    expect((await runTool(results[0].kubectl, ['version', '--client'])).stdout).toContain(
      'Client Version: v1.32',
    );
    expect((await runTool(results[0].helm, ['version', '--short'])).stdout).toMatch(/^v3\.17\./);
  } finally {
    await rm(binDir, { recursive: true, force: true });
  }
});
