import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlimpseMetrics } from '../../src/metrics/glimpse-metrics.ts';
import { kubeRequestLabels } from '../../src/runtimes/kubernetes/kube-request-labels.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { FAST_KUBELET, fastRuntime, specFor } from '../kubernetes-runtime/runtime-fixture.ts';
import { type KubeTarget, simOf, startKubeTarget } from '../support/kube-target.ts';
import { parseExposition, sampleValue } from '../support/prometheus.ts';
import { waitFor } from '../support/wait-for.ts';

const never = new AbortController().signal;

describe('Kubernetes metrics', () => {
  let kube: KubeTarget;
  let runtime: KubernetesRuntime;
  let metrics: GlimpseMetrics;

  beforeAll(async () => {
    kube = await startKubeTarget({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    metrics = new GlimpseMetrics();
    runtime = fastRuntime(kube, { metrics });
  });
  afterAll(async () => {
    await runtime.close();
    await kube.close();
  });

  it('counts every request of a deploy and a delete by verb, resource and code, as the API server saw them', async () => {
    await runtime.deploy(specFor(1, { image: 'ghcr.io/acme/web:{sha}', port: 3000 }), never);
    await runtime.destroy({ namespace: 'pr-web-1', repoFullName: 'acme/Web', prNumber: 1 }, never);

    const seen = new Map<string, number>();
    for (const entry of simOf(kube).requests.entries) {
      const { verb, resource } = kubeRequestLabels(entry.method, `${entry.path}${entry.query}`);
      // A watch still streaming has no status in the log yet; Glimpse counts it once established (200).
      const key = `${verb} ${resource} ${entry.status ?? (verb === 'watch' ? 200 : 'none')}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const samples = parseExposition((await metrics.scrape()).body);
    const counted = new Map(
      samples
        .filter((s) => s.name === 'glimpse_kubernetes_requests_total')
        .map((s) => [`${s.labels.verb} ${s.labels.resource} ${s.labels.code}`, s.value]),
    );
    expect(counted).toEqual(seen);
    // Applied server-side, deleted once, then waited for on the runtime's one watch of namespaces.
    expect(counted.get('patch namespaces 201')).toBe(1);
    expect(counted.get('delete namespaces 200')).toBe(1);
    expect(counted.get('watch namespaces 200')).toBe(1);
    expect(counted.get('watch deployments 200')).toBeGreaterThanOrEqual(1);
    // No namespace or object name in any label.
    expect(samples.flatMap((s) => Object.values(s.labels)).filter((v) => v.includes('pr-web'))).toEqual([]);
    expect(sampleValue(samples, 'glimpse_kubernetes_watch_restarts_total', { reason: 'dropped' })).toBe(
      undefined,
    );
  });

  it('counts the watches the API server dropped, which the rollout wait started again', async () => {
    const sim = simOf(kube);
    sim.kubelet.startDelayMs = 1500;
    try {
      const deploying = runtime.deploy(specFor(2, { image: 'ghcr.io/acme/web:1' }), never);
      const open = () =>
        [...sim.faults.openWatches].filter((r) => r.req.url?.includes('/namespaces/pr-web-2/')).length;
      await waitFor(() => open() >= 2, 5000, 'the watches');
      const dropped = sim.faults.dropWatches(true);
      await deploying;
      const samples = parseExposition((await metrics.scrape()).body);
      expect(sampleValue(samples, 'glimpse_kubernetes_watch_restarts_total', { reason: 'dropped' })).toBe(
        dropped,
      );
    } finally {
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
  });
});
