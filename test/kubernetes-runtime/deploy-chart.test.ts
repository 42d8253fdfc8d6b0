import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { EnvironmentSpec } from '../../src/runtimes/runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import type { KubeObject } from '../support/kube-sim/kube-object.ts';
import { type KubeTarget, onRealKube, startKubeTarget } from '../support/kube-target.ts';
import { chartFiles } from './chart-fixture.ts';
import { FAST_KUBELET, failureOf, fastRuntime, helmPath, repoTarball, specFor } from './runtime-fixture.ts';

let kube: KubeTarget;
let runtime: KubernetesRuntime;
let tarball: Buffer;
const fetched: string[] = [];
const never = new AbortController().signal;

beforeAll(async () => {
  kube = await startKubeTarget({ kubelet: FAST_KUBELET, bookmarkIntervalMs: 200, controllerTickMs: 50 });
  tarball = await repoTarball(chartFiles);
  runtime = fastRuntime(kube, {
    helmPath: await helmPath(),
    fetchSource: async (spec: EnvironmentSpec) => {
      fetched.push(`${spec.repoFullName}@${spec.commitSha}`);
      return tarball;
    },
  });
});

afterAll(async () => {
  await runtime.close();
  await kube.close();
  expect(kube.sim?.requests.unmatched() ?? []).toEqual([]);
  expect(kube.sim?.controllerErrors ?? []).toEqual([]);
});

type Json = Record<string, unknown>;
const containerOf = (d: KubeObject) =>
  (((d.spec as Json).template as Json).spec as { containers: Json[] }).containers[0] as Json;

describe('KubernetesRuntime.deploy of a chart', () => {
  it('renders the chart from the repository tarball with helm and per-PR values, then applies it', async () => {
    const deployed = await runtime.deploy(
      specFor(21, { chart: 'deploy/chart', values: { extraConfig: true } }),
      never,
    );
    expect(deployed.url).toBe('https://pr-web-21.preview.example.test');
    expect(fetched).toContain(`acme/Web@${'a'.repeat(40)}`);
    const deployment = (await kube.get('apps', 'deployments', 'pr-web-21', 'preview-web')) as KubeObject;
    expect((deployment.spec as Json).replicas).toBe(1);
    expect(deployment.metadata.labels?.['glimpse.dev/environment']).toBe('pr-web-21');
    const container = containerOf(deployment);
    expect(container.image).toBe(`ghcr.io/acme/chart-web:${'a'.repeat(40)}`);
    expect(container.env).toEqual([
      { name: 'PR_NUMBER', value: '21' },
      { name: 'BRANCH', value: 'feature/login' },
    ]);
    expect(container.resources).toEqual({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    const ingress = (await kube.get(
      'networking.k8s.io',
      'ingresses',
      'pr-web-21',
      'preview-web',
    )) as KubeObject;
    expect(((ingress.spec as Json).rules as Json[])[0]?.host).toBe('pr-web-21.preview.example.test');
    expect((ingress.spec as Json).ingressClassName).toBe('nginx');
    expect(await kube.get('', 'configmaps', 'pr-web-21', 'preview-extra')).toBeDefined();
    expect(
      (await kube.list('networking.k8s.io', 'networkpolicies', 'pr-web-21')).map((p) => p.metadata.name),
    ).toEqual(['glimpse-isolation']);
  });

  it('waits for a StatefulSet of the chart to be ready, and watches none when the chart has none', async () => {
    // Only the simulator logs requests: on a real control plane the rollout alone proves the wait.
    const statefulSetReads = (namespace: string) =>
      (kube.sim?.requests.find({ resource: 'statefulsets', namespace }) ?? []).filter(
        (r) => r.verb === 'list' || r.verb === 'watch',
      );
    await runtime.deploy(specFor(27, { chart: 'deploy/chart', values: { database: true } }), never);
    const db = (await kube.get('apps', 'statefulsets', 'pr-web-27', 'preview-db')) as KubeObject;
    expect((db as { status?: Json }).status?.readyReplicas).toBe(1);
    if (!onRealKube) expect(statefulSetReads('pr-web-27').length).toBeGreaterThan(0);
    await runtime.deploy(specFor(28, { chart: 'deploy/chart' }), never);
    expect(statefulSetReads('pr-web-28')).toEqual([]);

    // Resync's look for vanished previews finds a chart's StatefulSet gone.
    expect(await runtime.findVanished(['pr-web-27', 'pr-web-28'])).toEqual(new Set());
    await kubeConfigFor(kube)
      .makeApiClient(AppsV1Api)
      .deleteNamespacedStatefulSet({ name: 'preview-db', namespace: 'pr-web-27' });
    expect(await runtime.findVanished(['pr-web-27', 'pr-web-28'])).toEqual(new Set(['pr-web-27']));
  });

  it('deletes what an earlier render created and a later one no longer contains', async () => {
    await runtime.deploy(specFor(26, { chart: 'deploy/chart', values: { extraConfig: true } }), never);
    expect(await kube.get('', 'configmaps', 'pr-web-26', 'preview-extra')).toBeDefined();
    await runtime.deploy(
      specFor(26, { chart: 'deploy/chart', values: { extraConfig: false } }, { deploymentId: 'dep-26-2' }),
      never,
    );
    expect(await kube.get('', 'configmaps', 'pr-web-26', 'preview-extra')).toBeUndefined();
    expect(await kube.get('apps', 'deployments', 'pr-web-26', 'preview-web')).toBeDefined();
    expect(await kube.get('', 'resourcequotas', 'pr-web-26', 'glimpse-quota')).toBeDefined();
    const record = (await kube.get('', 'configmaps', 'pr-web-26', 'glimpse-applied')) as KubeObject;
    expect(String((record.data as Json).objects)).not.toContain('preview-extra');
  });

  it('fails permanently with helm’s message when the chart does not render', async () => {
    const failure = await failureOf(
      runtime.deploy(specFor(22, { chart: 'deploy/chart', values: { image: { repository: null } } }), never),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('helm template failed');
    expect(failure.message).toContain('image.repository is required');
    expect(await kube.get('', 'namespaces', undefined, 'pr-web-22')).toBeUndefined();
  });

  it('fails permanently when the chart path has no chart, or points outside the repository', async () => {
    const missing = await failureOf(runtime.deploy(specFor(23, { chart: 'deploy/nothing' }), never));
    expect(missing.transient).toBe(false);
    expect(missing.message).toContain('no Chart.yaml');
    const outside = await failureOf(runtime.deploy(specFor(23, { chart: '../../etc' }), never));
    expect(outside.transient).toBe(false);
    expect(outside.message).toContain('outside the repository');
  });

  it('refuses a chart that renders a cluster-wide object or its own network policy', async () => {
    const sneaky = await repoTarball({
      ...chartFiles,
      'deploy/chart/templates/open.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all}
spec:
  podSelector: {}
  egress: [{}]
`,
    });
    const other = new KubernetesRuntime({
      kubeconfig: kube.kubeconfigPath,
      baseDomain: 'preview.example.test',
      helmPath: await helmPath(),
      fetchSource: async () => sneaky,
    });
    const failure = await failureOf(other.deploy(specFor(24, { chart: 'deploy/chart' }), never));
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('NetworkPolicy allow-all');
    expect(await kube.get('networking.k8s.io', 'networkpolicies', 'pr-web-24', 'allow-all')).toBeUndefined();
  });

  it('fails permanently when the chart renders a kind the cluster does not serve', async () => {
    const exotic = await repoTarball({
      ...chartFiles,
      'deploy/chart/templates/widget.yaml': `apiVersion: widgets.example.com/v1
kind: Widget
metadata: {name: agent}
spec: {size: 3}
`,
    });
    const other = new KubernetesRuntime({
      kubeconfig: kube.kubeconfigPath,
      baseDomain: 'preview.example.test',
      helmPath: await helmPath(),
      fetchSource: async () => exotic,
    });
    const failure = await failureOf(other.deploy(specFor(25, { chart: 'deploy/chart' }), never));
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('does not serve widgets.example.com/v1 Widget');
  });
});
