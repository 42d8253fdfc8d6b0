import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kubeBinaries } from '../support/kube-control-plane/kube-binaries.ts';
import { onRealKube } from '../support/kube-target.ts';
import { runTool } from '../support/run-tool.ts';
import { waitFor } from '../support/wait-for.ts';

describe.skipIf(!onRealKube)('test/support/kube-control-plane/main.ts', () => {
  it('prints a kubeconfig first, serves a cluster whose node takes pods to Ready, and stops everything when killed', async () => {
    const { kubectl } = kubeBinaries();
    const child = spawn(process.execPath, ['test/support/kube-control-plane/main.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    try {
      const kubeconfig = await waitFor(
        () => (out.includes('\n') ? out.split('\n')[0] : undefined),
        180_000,
        'the kubeconfig path',
      );
      const kube = (args: string[]) => runTool(kubectl, args, { kubeconfig, timeoutMs: 60_000 });
      const version = await kube(['version', '-o', 'json']);
      expect(JSON.parse(version.stdout).serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
      expect((await kube(['get', 'nodes', '-o', 'name'])).stdout.trim()).toBe('node/kwok-node-0');

      const run = await kube(['run', 'hello', '--image=ghcr.io/acme/hello:1', '--restart=Never']);
      expect(run.stderr).toBe('');
      const waited = await kube(['wait', '--for=condition=Ready', 'pod/hello', '--timeout=60s']);
      expect(waited.stdout).toContain('condition met');
      await kube(['delete', 'pod', 'hello', '--wait=true', '--timeout=60s']);
      expect((await kube(['get', 'pods', '-o', 'name'])).stdout.trim()).toBe('');
      expect(err).toContain('service account glimpse-system/glimpse: ');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const logDir = /logs: (\S+)/.exec(err)?.[1];
    expect(logDir).toBeDefined();
    expect(existsSync(logDir ?? '')).toBe(false);
  }, 300_000);
});
