import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/domain/log-line.ts';
import { checkKubernetesAccess } from '../../src/runtimes/kubernetes/check-kubernetes-access.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import { type KubeTarget, onRealKube, simOf, startKubeTarget } from '../support/kube-target.ts';
import { waitFor } from '../support/wait-for.ts';
import { FAST_KUBELET, failureOf, fastRuntime, specFor } from './runtime-fixture.ts';

let kube: KubeTarget;
/** The simulator, for the tests only it can run (pod logs, metrics, denied permissions, faults). */
const sim = () => simOf(kube);
const simOnly = it.skipIf(onRealKube);
let runtime: KubernetesRuntime;
const never = new AbortController().signal;
const ref = (n: number) => ({ namespace: `pr-web-${n}`, repoFullName: 'acme/Web', prNumber: n });

beforeAll(async () => {
  kube = await startKubeTarget({ kubelet: FAST_KUBELET, bookmarkIntervalMs: 200, controllerTickMs: 50 });
  runtime = fastRuntime(kube);
  await runtime.deploy(specFor(31, { image: 'ghcr.io/acme/web:1' }), never);
});

afterAll(async () => {
  await runtime.close();
  await kube.close();
  expect(kube.sim?.requests.unmatched() ?? []).toEqual([]);
  expect(kube.sim?.controllerErrors ?? []).toEqual([]);
});

function podName(namespace: string): string {
  const pod = sim()
    .list('', 'pods', namespace)
    .find((p) => p.metadata.deletionTimestamp === undefined);
  if (pod === undefined) throw new Error(`no pod in ${namespace}`);
  return pod.metadata.name;
}

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('KubernetesRuntime observing previews', () => {
  simOnly('returns the last lines of each container, with timestamps when asked', async () => {
    const pod = podName('pr-web-31');
    for (const n of [1, 2, 3]) sim().appendLog('pr-web-31', pod, 'app', `request ${n}`);
    const plain = await collect(runtime.logs(ref(31), { tailLines: 2, timestamps: false, follow: false }));
    expect(plain.map((l) => l.text)).toEqual(['request 2', 'request 3']);
    expect(plain.every((l) => l.source === `${pod}/app` && l.time === undefined)).toBe(true);

    const timed = await collect(runtime.logs(ref(31), { tailLines: 1, timestamps: true, follow: false }));
    expect(timed).toHaveLength(1);
    expect(timed[0]?.text).toBe('request 3');
    expect(timed[0]?.time).toBeInstanceOf(Date);
    expect(Math.abs((timed[0]?.time?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  simOnly('follows the logs as lines are written until the caller aborts', async () => {
    const pod = podName('pr-web-31');
    sim().appendLog('pr-web-31', pod, 'app', 'before following');
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of runtime.logs(ref(31), {
        tailLines: 1,
        timestamps: false,
        follow: true,
        signal: controller.signal,
      })) {
        seen.push(line.text);
      }
    })();
    await waitFor(() => seen.length >= 1, 5000, 'the tail line');
    sim().appendLog('pr-web-31', pod, 'app', 'live line');
    await waitFor(() => seen.includes('live line'), 5000, 'the followed line');
    controller.abort();
    await following;
    expect(seen[0]).toBe('before following');
  });

  simOnly('reports pods, readiness, restarts and metrics usage, or why usage is unavailable', async () => {
    const pod = podName('pr-web-31');
    sim().setPodUsage('pr-web-31', pod, { cpu: '250m', memory: '64Mi' });
    const observed = await runtime.inspect(ref(31));
    expect(observed.exists).toBe(true);
    expect(observed.usageUnavailableReason).toBeUndefined();
    expect(observed.workloads).toEqual([
      expect.objectContaining({
        name: pod,
        phase: 'Running',
        ready: true,
        restarts: 0,
        cpuMillicores: 250,
        memoryBytes: 64 * 2 ** 20,
      }),
    ]);
    sim().setMetricsAvailable(false);
    try {
      const without = await runtime.inspect(ref(31));
      expect(without.usageUnavailableReason).toContain('metrics.k8s.io');
      expect(without.workloads[0]?.cpuMillicores).toBeUndefined();
      expect(without.workloads[0]?.memoryBytes).toBeUndefined();
    } finally {
      sim().setMetricsAvailable(true);
    }
    expect(await runtime.inspect(ref(99))).toEqual({ exists: false, workloads: [] });
  });

  simOnly('counts restarts of a crash-looping pod', async () => {
    sim().images.set('ghcr.io/acme/crash', { kind: 'crash' });
    await failureOf(runtime.deploy(specFor(32, { image: 'ghcr.io/acme/crash:1' }), never));
    await waitFor(
      async () => ((await runtime.inspect(ref(32))).workloads[0]?.restarts ?? 0) >= 2,
      5000,
      'restarts',
    );
    expect((await runtime.inspect(ref(32))).workloads[0]?.phase).toBe('CrashLoopBackOff');
    await runtime.destroy(ref(32), never); // its retries would keep the simulator busy
  });

  it('lists the namespaces Glimpse manages as environments', async () => {
    const managed = await runtime.listManaged();
    expect(managed).toContainEqual(ref(31));
    expect(managed.map((m) => m.namespace)).not.toContain('default');
    expect(managed.map((m) => m.namespace)).not.toContain('kube-system');
  });

  it('finds the previews whose namespace, record or Deployment vanished, in two requests for all of them', async () => {
    for (const n of [36, 37]) await runtime.deploy(specFor(n, { image: 'ghcr.io/acme/web:1' }), never);
    const kc = kubeConfigFor(kube);
    await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ name: 'preview', namespace: 'pr-web-36' });
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedConfigMap({ name: 'glimpse-applied', namespace: 'pr-web-37' });
    const asked = ['pr-web-31', 'pr-web-36', 'pr-web-37', 'pr-web-98'];
    const before = kube.sim?.requests.entries.length ?? 0;
    expect(await runtime.findVanished(asked)).toEqual(new Set(['pr-web-36', 'pr-web-37', 'pr-web-98']));
    // One list of the records across namespaces and one of Deployments, however many previews are asked about
    // (the runtime's watch of namespaces may renew itself meanwhile).
    const sent = kube.sim?.requests.entries.slice(before).filter((r) => r.verb !== 'watch') ?? [];
    expect(sent.map((r) => `${r.verb} ${r.path}`)).toEqual(
      onRealKube ? [] : ['list /api/v1/configmaps', 'list /apis/apps/v1/deployments'],
    );
    expect(await runtime.findVanished(['pr-web-31'])).toEqual(new Set());
    expect(await runtime.findVanished([])).toEqual(new Set());
    for (const n of [36, 37]) await runtime.destroy(ref(n), never);
  });

  simOnly('reports a permission it lacks with the RBAC rule to add', async () => {
    const clean = await checkKubernetesAccess({ kubeconfig: sim().kubeconfigPath });
    expect(clean.ok).toBe(true);
    expect(clean.missing).toEqual([]);
    sim().access.deny({ verb: 'delete', resource: 'namespaces' });
    sim().access.deny({ verb: 'get', resource: 'pods', subresource: 'log' });
    try {
      const report = await checkKubernetesAccess({ kubeconfig: sim().kubeconfigPath });
      expect(report.ok).toBe(false);
      expect(
        report.missing.map((m) => `${m.verb} ${m.resource}${m.subresource ? `/${m.subresource}` : ''}`),
      ).toEqual(['delete namespaces', 'get pods/log']);
      expect(report.missing[0]?.rule).toBe(
        '- apiGroups: [""]\n  resources: ["namespaces"]\n  verbs: ["delete"]',
      );
      expect(report.rules).toContain('resources: ["pods/log"]');
    } finally {
      sim().access.clear();
    }
  });
});

describe('KubernetesRuntime.destroy', () => {
  it('deletes the namespace in the foreground and returns once it is gone', async () => {
    await runtime.deploy(specFor(33, { image: 'ghcr.io/acme/web:1' }), never);
    await runtime.destroy(ref(33), never);
    expect(await kube.get('', 'namespaces', undefined, 'pr-web-33')).toBeUndefined();
    expect(await kube.list('apps', 'deployments', 'pr-web-33')).toEqual([]);
    if (kube.sim !== undefined) {
      const deletion = kube.sim.requests.find({ verb: 'delete', resource: 'namespaces' });
      expect(deletion[0]?.query).toContain('propagationPolicy=Foreground');
      // The wait is on the runtime's one watch of namespaces, not a read of this one every few seconds.
      expect(
        kube.sim.requests.count({ verb: 'get', path: '/api/v1/namespaces/pr-web-33' }),
      ).toBeLessThanOrEqual(1);
      expect(kube.sim.requests.count({ verb: 'watch', resource: 'namespaces' })).toBeGreaterThanOrEqual(1);
    }
    await runtime.destroy(ref(33), never);
    expect((await runtime.listManaged()).map((m) => m.namespace)).not.toContain('pr-web-33');
  });

  it('fails permanently when the namespace is still terminating at the timeout', async () => {
    await runtime.deploy(specFor(34, { image: 'ghcr.io/acme/web:1' }), never);
    await kube.holdNamespace('pr-web-34');
    try {
      const quick = fastRuntime(kube, { deleteTimeoutMs: 600 });
      const started = Date.now();
      const failure = await failureOf(quick.destroy(ref(34), never));
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(failure.transient).toBe(false);
      expect(failure.message).toContain('pr-web-34 was not gone');
      const held = await kube.get('', 'namespaces', undefined, 'pr-web-34');
      expect((held as { status?: { phase?: string } } | undefined)?.status?.phase).toBe('Terminating');
    } finally {
      await kube.releaseNamespace('pr-web-34');
    }
    await runtime.destroy(ref(34), never);
    expect(await kube.get('', 'namespaces', undefined, 'pr-web-34')).toBeUndefined();
  });

  simOnly('retries a transient API error while deleting', async () => {
    await runtime.deploy(specFor(35, { image: 'ghcr.io/acme/web:1' }), never);
    sim().faults.failNext({ verb: 'delete', resource: 'namespaces' }, 2, 503);
    await runtime.destroy(ref(35), never);
    expect(sim().get('', 'namespaces', undefined, 'pr-web-35')).toBeUndefined();
    expect(
      sim().requests.find({ verb: 'delete', resource: 'namespaces', path: '/api/v1/namespaces/pr-web-35' })
        .length,
    ).toBe(3);
  });
});
