import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { ensureKubeTools, type KubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';
import { renderChart, VALUES_FILES } from './glimpse-chart.ts';

// The chart's objects sent to a Kubernetes API server, the simulator for now: it serves no RBAC, policy or
// PersistentVolumeClaim kinds, so the objects of kinds its discovery does not list are left out. Against the real
// control plane (test/support/kube-control-plane) every object would go in, and the ServiceAccount's permissions
// could be checked with `kubectl auth can-i --as`.
let target: KubeSimulator;
let tools: KubeTools;

const kubectl = (args: string[], stdin?: string) =>
  runTool(tools.kubectl, args, {
    kubeconfig: target.kubeconfigPath,
    timeoutMs: 60_000,
    ...(stdin ? { stdin } : {}),
  });

/** `apiVersion kind` of every resource the API server serves, from its discovery (kubectl api-resources). */
async function servedKinds(): Promise<Set<string>> {
  const result = await kubectl(['api-resources', '--no-headers']);
  expect(result.code, result.stderr).toBe(0);
  const served = new Set<string>();
  for (const line of result.stdout.trim().split('\n')) {
    const words = line.trim().split(/\s+/);
    const kind = words.at(-1);
    const apiVersion = words.at(-3);
    if (kind !== undefined && apiVersion !== undefined) served.add(`${apiVersion} ${kind}`);
  }
  return served;
}

beforeAll(async () => {
  tools = await ensureKubeTools();
  target = await startKubeSimulator({ kubelet: { startDelayMs: 50, terminationDelayMs: 50 } });
});

afterAll(async () => {
  await target.close();
});

describe.each([
  ['minimal', VALUES_FILES.minimal],
  ['postgres', VALUES_FILES.postgres],
])('the chart rendered with the %s values, applied to the API server', (name, valuesFile) => {
  const namespace = `glimpse-${name}`;
  /** The rendered objects the API server serves, as YAML. */
  let manifests: string;
  let kinds: string[];

  beforeAll(async () => {
    const served = await servedKinds();
    const rendered = await renderChart(valuesFile);
    expect(rendered.code, rendered.stderr).toBe(0);
    const kept = rendered.objects.flatMap((o, i) => (served.has(`${o.apiVersion} ${o.kind}`) ? [i] : []));
    kinds = kept.map((i) => rendered.objects[i]?.kind ?? '');
    manifests = kept.map((i) => `---\n${rendered.sources[i] ?? ''}`).join('');
    const created = await kubectl(['create', 'namespace', namespace]);
    expect(created.code, created.stderr).toBe(0);
  });

  it('passes a server-side dry run, which stores nothing', async () => {
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'Secret', 'ServiceAccount']));
    const result = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '--namespace', namespace, '-f', '-'],
      manifests,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('deployment.apps/glimpse serverside-applied (server dry run)');
    expect(target.get('apps', 'deployments', namespace, 'glimpse')).toBeUndefined();
  });

  it('installs: the Deployment rolls out with its ServiceAccount, Secret and Service', async () => {
    const result = await kubectl(['apply', '--server-side', '--namespace', namespace, '-f', '-'], manifests);
    expect(result.code, result.stderr).toBe(0);
    const rollout = await kubectl([
      'rollout',
      'status',
      '--namespace',
      namespace,
      'deployment/glimpse',
      '--timeout=60s',
    ]);
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stdout).toContain('successfully rolled out');
    const deployment = target.get('apps', 'deployments', namespace, 'glimpse');
    expect(deployment?.spec).toMatchObject({ template: { spec: { serviceAccountName: 'glimpse' } } });
    expect(target.get('', 'secrets', namespace, 'glimpse')).toBeDefined();
    expect(target.get('', 'services', namespace, 'glimpse')).toBeDefined();
    expect(target.get('', 'serviceaccounts', namespace, 'glimpse')).toBeDefined();
  });
});
