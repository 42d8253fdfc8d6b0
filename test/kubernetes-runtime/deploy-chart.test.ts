import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { EnvironmentSpec } from '../../src/runtimes/runtime.ts';
import type { KubeObject } from '../support/kube-sim/kube-object.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { chartFiles } from './chart-fixture.ts';
import { FAST_KUBELET, failureOf, fastRuntime, helmPath, repoTarball, specFor } from './runtime-fixture.ts';

let sim: KubeSimulator;
let runtime: KubernetesRuntime;
let tarball: Buffer;
const fetched: string[] = [];
const never = new AbortController().signal;

beforeAll(async () => {
  sim = await startKubeSimulator({ kubelet: FAST_KUBELET, bookmarkIntervalMs: 200, controllerTickMs: 50 });
  tarball = await repoTarball(chartFiles);
  runtime = fastRuntime(sim, {
    helmPath: await helmPath(),
    fetchSource: async (spec: EnvironmentSpec) => {
      fetched.push(`${spec.repoFullName}@${spec.commitSha}`);
      return tarball;
    },
  });
});

afterAll(async () => {
  await runtime.close();
  await sim.close();
  expect(sim.requests.unmatched()).toEqual([]);
  expect(sim.controllerErrors).toEqual([]);
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
    const deployment = sim.get('apps', 'deployments', 'pr-web-21', 'preview-web') as KubeObject;
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
    const ingress = sim.get('networking.k8s.io', 'ingresses', 'pr-web-21', 'preview-web') as KubeObject;
    expect(((ingress.spec as Json).rules as Json[])[0]?.host).toBe('pr-web-21.preview.example.test');
    expect((ingress.spec as Json).ingressClassName).toBe('nginx');
    expect(sim.get('', 'configmaps', 'pr-web-21', 'preview-extra')).toBeDefined();
    expect(sim.list('networking.k8s.io', 'networkpolicies', 'pr-web-21').length).toBeGreaterThanOrEqual(3);
  });

  it('waits for a StatefulSet of the chart to be ready, and watches none when the chart has none', async () => {
    const statefulSetReads = (namespace: string) =>
      sim.requests
        .find({ resource: 'statefulsets', namespace })
        .filter((r) => r.verb === 'list' || r.verb === 'watch');
    await runtime.deploy(specFor(27, { chart: 'deploy/chart', values: { database: true } }), never);
    const db = sim.get('apps', 'statefulsets', 'pr-web-27', 'preview-db') as KubeObject;
    expect((db as { status?: Json }).status?.readyReplicas).toBe(1);
    expect(statefulSetReads('pr-web-27').length).toBeGreaterThan(0);
    await runtime.deploy(specFor(28, { chart: 'deploy/chart' }), never);
    expect(statefulSetReads('pr-web-28')).toEqual([]);
  });

  it('deletes what an earlier render created and a later one no longer contains', async () => {
    await runtime.deploy(specFor(26, { chart: 'deploy/chart', values: { extraConfig: true } }), never);
    expect(sim.get('', 'configmaps', 'pr-web-26', 'preview-extra')).toBeDefined();
    await runtime.deploy(
      specFor(26, { chart: 'deploy/chart', values: { extraConfig: false } }, { deploymentId: 'dep-26-2' }),
      never,
    );
    expect(sim.get('', 'configmaps', 'pr-web-26', 'preview-extra')).toBeUndefined();
    expect(sim.get('apps', 'deployments', 'pr-web-26', 'preview-web')).toBeDefined();
    expect(sim.get('', 'resourcequotas', 'pr-web-26', 'glimpse-quota')).toBeDefined();
    const record = sim.get('', 'configmaps', 'pr-web-26', 'glimpse-applied') as KubeObject;
    expect(String((record.data as Json).objects)).not.toContain('preview-extra');
  });

  it('fails permanently with helm’s message when the chart does not render', async () => {
    const failure = await failureOf(
      runtime.deploy(specFor(22, { chart: 'deploy/chart', values: { image: { repository: null } } }), never),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('helm template failed');
    expect(failure.message).toContain('image.repository is required');
    expect(sim.get('', 'namespaces', undefined, 'pr-web-22')).toBeUndefined();
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
      kubeconfig: sim.kubeconfigPath,
      baseDomain: 'preview.example.test',
      helmPath: await helmPath(),
      fetchSource: async () => sneaky,
    });
    const failure = await failureOf(other.deploy(specFor(24, { chart: 'deploy/chart' }), never));
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('NetworkPolicy allow-all');
    expect(sim.get('networking.k8s.io', 'networkpolicies', 'pr-web-24', 'allow-all')).toBeUndefined();
  });

  it('fails permanently when the chart renders a kind the cluster does not serve', async () => {
    const exotic = await repoTarball({
      ...chartFiles,
      'deploy/chart/templates/agent.yaml': `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: ghcr.io/acme/agent:1}]}
`,
    });
    const other = new KubernetesRuntime({
      kubeconfig: sim.kubeconfigPath,
      baseDomain: 'preview.example.test',
      helmPath: await helmPath(),
      fetchSource: async () => exotic,
    });
    const failure = await failureOf(other.deploy(specFor(25, { chart: 'deploy/chart' }), never));
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('does not serve apps/v1 DaemonSet');
  });
});
