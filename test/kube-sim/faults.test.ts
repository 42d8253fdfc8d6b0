import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { ensureKubeTools, type KubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';
import { waitFor } from '../support/wait-for.ts';
import { apiError, kubeConfigFor } from './client-helpers.ts';

let sim: KubeSimulator;
let tools: KubeTools;
let core: CoreV1Api;

const kubectl = (args: string[]) => runTool(tools.kubectl, args, { kubeconfig: sim.kubeconfigPath });

beforeAll(async () => {
  tools = await ensureKubeTools();
  sim = await startKubeSimulator({ kubelet: { startDelayMs: 30, terminationDelayMs: 30 } });
  core = kubeConfigFor(sim).makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await sim.close();
  expect(sim.controllerErrors).toEqual([]);
  expect(sim.requests.unmatched()).toEqual([]);
});

describe('fault injection and the request log', () => {
  it('refuses requests without the kubeconfig bearer token with 401', async () => {
    const wrong = join(sim.kubeconfigPath, '..', 'wrong-kubeconfig');
    await writeFile(wrong, (await readFile(sim.kubeconfigPath, 'utf8')).replace(sim.token, 'not-the-token'));
    const kc = new KubeConfig();
    kc.loadFromFile(wrong);
    const res = await apiError(() => kc.makeApiClient(CoreV1Api).listNamespace());
    expect(res.code).toBe(401);
    const cli = await runTool(tools.kubectl, ['get', 'ns'], { kubeconfig: wrong });
    expect(cli.stderr).toContain('You must be logged in to the server');
    expect(sim.requests.find({ path: '/api/v1/namespaces' }).some((r) => r.status === 401)).toBe(true);
  });

  it('fails the next N matching requests with the chosen 5xx, then recovers', async () => {
    sim.faults.failNext({ verb: 'list', resource: 'pods', namespace: 'default' }, 2, 503);
    const first = await apiError(() => core.listNamespacedPod({ namespace: 'default' }));
    expect(first.code).toBe(503);
    expect(first.status.reason).toBe('ServiceUnavailable');
    expect((await apiError(() => core.listNamespacedPod({ namespace: 'default' }))).code).toBe(503);
    expect(await core.listNamespacedPod({ namespace: 'default' })).toMatchObject({ items: [] });
    expect(await core.listNamespacedConfigMap({ namespace: 'default' })).toMatchObject({ items: [] });

    sim.faults.failNext({ method: 'GET', path: '/api/v1/namespaces' }, 1, 500);
    const cli = await kubectl(['get', 'ns', '-o', 'name']);
    expect(cli.stderr).toContain('Internal error occurred: injected fault');
  });

  it('adds latency to matching requests', async () => {
    sim.faults.setLatency(300, { resource: 'configmaps' });
    try {
      let started = Date.now();
      await core.listNamespacedConfigMap({ namespace: 'default' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      started = Date.now();
      await core.listNamespacedSecret({ namespace: 'default' });
      expect(Date.now() - started).toBeLessThan(250);
    } finally {
      sim.faults.setLatency(0);
    }
  });

  it('drops open watches, which clients see end', async () => {
    const ended: unknown[] = [];
    const before = sim.requests.count({ verb: 'watch' });
    const kc = kubeConfigFor(sim);
    for (const ns of ['default', 'kube-system']) {
      await new Watch(kc).watch(
        `/api/v1/namespaces/${ns}/pods`,
        {},
        () => undefined,
        (err) => ended.push(err ?? 'clean'),
      );
    }
    await waitFor(() => sim.faults.openWatches.size === 2, 5000, 'two open watches');
    expect(sim.requests.count({ verb: 'watch' })).toBe(before + 2);
    expect(sim.faults.dropWatches()).toBe(2);
    await waitFor(() => ended.length === 2, 5000, 'both watches to end');
  });

  it('a stuck namespace stays Terminating until released', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-stuck-1' } } });
    await core.createNamespacedConfigMap({ namespace: 'pr-stuck-1', body: { metadata: { name: 'c' } } });
    sim.faults.stickNamespace('pr-stuck-1');
    const res = await kubectl(['delete', 'ns', 'pr-stuck-1', '--timeout=1s']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('timed out waiting for the condition');
    const ns = await core.readNamespace({ name: 'pr-stuck-1' });
    expect(ns.status?.phase).toBe('Terminating');
    expect(ns.metadata?.deletionTimestamp).toBeDefined();
    expect(ns.status?.conditions?.map((c) => c.type)).toContain('NamespaceFinalizersRemaining');
    expect(sim.list('', 'configmaps', 'pr-stuck-1')).toEqual([]);
    const refused = await apiError(() =>
      core.createNamespacedConfigMap({ namespace: 'pr-stuck-1', body: { metadata: { name: 'd' } } }),
    );
    expect(refused.code).toBe(403);
    expect(refused.status.message).toContain('because it is being terminated');
    sim.faults.releaseNamespace('pr-stuck-1');
    await waitFor(
      async () => (await apiError(() => core.readNamespace({ name: 'pr-stuck-1' }))).code === 404,
      5000,
      'the namespace to go',
    );
  });

  it('the standalone entry point prints a kubeconfig kubectl can use', async () => {
    const child = spawn(process.execPath, ['test/support/kube-sim/main.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const path = await waitFor(
        () => (out.includes('\n') ? out.trim() : undefined),
        10_000,
        'the kubeconfig path',
      );
      const res = await runTool(tools.kubectl, ['get', 'ns', 'default', '-o', 'jsonpath={.status.phase}'], {
        kubeconfig: path,
      });
      expect(res.stdout).toBe('Active');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
