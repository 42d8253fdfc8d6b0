import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { ensureKubeTools, type KubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';
import { waitFor } from '../support/wait-for.ts';
import { kubeConfigFor } from './client-helpers.ts';
import { deploymentObject } from './manifests.ts';

let sim: KubeSimulator;
let tools: KubeTools;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;

const kubectl = (args: string[]) => runTool(tools.kubectl, args, { kubeconfig: sim.kubeconfigPath });

async function deploy(ns: string, image: string, replicas = 1, extra: Record<string, unknown> = {}) {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deploymentObject(ns, 'web', image, replicas, extra),
  });
  await core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
    },
  });
}

async function firstPod(ns: string) {
  return waitFor(async () => (await core.listNamespacedPod({ namespace: ns })).items[0], 5000, 'a pod');
}

beforeAll(async () => {
  tools = await ensureKubeTools();
  sim = await startKubeSimulator({ kubelet: { startDelayMs: 30, retryIntervalMs: 100 } });
  kc = kubeConfigFor(sim);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  sim.images.set('ghcr.io/acme/crash', { kind: 'crash', exitCode: 3, message: 'DATABASE_URL is not set' });
  sim.images.set('ghcr.io/acme/missing:404', { kind: 'pull-error' });
  sim.images.set('ghcr.io/acme/sick:1', { kind: 'ok', responses: { '/healthz': 500 } });
  sim.images.set('ghcr.io/acme/slow:1', { kind: 'unready' });
});

afterAll(async () => {
  await sim.close();
  expect(sim.controllerErrors).toEqual([]);
  expect(sim.requests.unmatched()).toEqual([]);
});

describe('workloads that fail, as the kubelet reports them', () => {
  it('a crash-looping image shows CrashLoopBackOff with a growing restart count and the last exit code', async () => {
    await deploy('pr-crash-1', 'ghcr.io/acme/crash:7');
    const pod = await firstPod('pr-crash-1');
    const name = pod.metadata?.name ?? '';
    const status = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'pr-crash-1', name });
        const cs = p.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 2 ? cs : undefined;
      },
      5000,
      'two restarts',
    );
    expect(status.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(status.lastState?.terminated?.exitCode).toBe(3);
    expect(status.ready).toBe(false);
    const get = await kubectl(['-n', 'pr-crash-1', 'get', 'pods']);
    expect(get.stdout).toMatch(new RegExp(`^${name}\\s+0/1\\s+CrashLoopBackOff\\s+[2-9]`, 'm'));
    const previous = await kubectl(['-n', 'pr-crash-1', 'logs', name, '--previous']);
    expect(previous.stdout).toContain('fatal: DATABASE_URL is not set');
    const deployment = await apps.readNamespacedDeployment({ namespace: 'pr-crash-1', name: 'web' });
    expect(deployment.status?.readyReplicas ?? 0).toBe(0);
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False');
  });

  it('an image that cannot be pulled stays Pending with ErrImagePull then ImagePullBackOff', async () => {
    await deploy('pr-pull-1', 'ghcr.io/acme/missing:404');
    const pod = await firstPod('pr-pull-1');
    const name = pod.metadata?.name ?? '';
    const reasons = new Set<string>();
    await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'pr-pull-1', name });
        const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (reason) reasons.add(reason);
        expect(p.status?.phase).toBe('Pending');
        return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
      },
      5000,
      'both pull reasons',
    );
    const logs = await kubectl(['-n', 'pr-pull-1', 'logs', name]);
    expect(logs.code).not.toBe(0);
    expect(logs.stderr).toContain(
      `container "app" in pod "${name}" is waiting to start: trying and failing to pull image`,
    );
    const describe = await kubectl(['-n', 'pr-pull-1', 'describe', 'pod', name]);
    expect(describe.stdout).toMatch(/Warning\s+Failed\s+.*Failed to pull image "ghcr.io\/acme\/missing:404"/);
  });

  it('a rollout that never becomes available ends with ProgressDeadlineExceeded, and kubectl rollout status fails', async () => {
    await deploy('pr-deadline-1', 'ghcr.io/acme/crash:8', 1, { progressDeadlineSeconds: 1 });
    const condition = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'pr-deadline-1', name: 'web' });
        const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
        return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
      },
      6000,
      'the progress deadline',
    );
    expect(condition.status).toBe('False');
    const res = await kubectl(['-n', 'pr-deadline-1', 'rollout', 'status', 'deploy/web', '--timeout=10s']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('deployment "web" exceeded its progress deadline');
  });

  it('a new pod template rolls out through a second ReplicaSet and scales the old one to zero', async () => {
    await deploy('pr-roll-2', 'ghcr.io/acme/web:1', 2);
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ namespace: 'pr-roll-2', name: 'web' })).status
          ?.availableReplicas === 2,
    );
    const d = await apps.readNamespacedDeployment({ namespace: 'pr-roll-2', name: 'web' });
    const container = d.spec?.template.spec?.containers[0];
    if (container) container.image = 'ghcr.io/acme/web:2';
    await apps.replaceNamespacedDeployment({ namespace: 'pr-roll-2', name: 'web', body: d });
    await waitFor(
      async () => {
        const s = (await apps.readNamespacedDeployment({ namespace: 'pr-roll-2', name: 'web' })).status;
        return (
          s?.observedGeneration === 2 &&
          s.updatedReplicas === 2 &&
          s.availableReplicas === 2 &&
          s.replicas === 2
        );
      },
      5000,
      'the rollout',
    );
    const rs = await apps.listNamespacedReplicaSet({ namespace: 'pr-roll-2' });
    const byImage = Object.fromEntries(
      rs.items.map((r) => [r.spec?.template?.spec?.containers[0]?.image, r.spec?.replicas]),
    );
    expect(byImage).toEqual({ 'ghcr.io/acme/web:1': 0, 'ghcr.io/acme/web:2': 2 });
    const pods = await core.listNamespacedPod({ namespace: 'pr-roll-2' });
    expect(
      pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec?.containers[0]?.image),
    ).toEqual(['ghcr.io/acme/web:2', 'ghcr.io/acme/web:2']);
  });

  it('the service proxy answers 200 through ready pods, the image status for a failing path, and 503 without endpoints', async () => {
    const proxy = (ns: string, path: string) =>
      core.connectGetNamespacedServiceProxyWithPath({ namespace: ns, name: 'web:http', path }).then(
        () => 200,
        (err: { code?: number }) => err.code ?? 0,
      );
    await deploy('pr-proxy-ok', 'ghcr.io/acme/web:1');
    await waitFor(
      async () => (await proxy('pr-proxy-ok', 'healthz')) === 200,
      5000,
      'a 200 through the proxy',
    );
    await deploy('pr-proxy-sick', 'ghcr.io/acme/sick:1');
    await waitFor(
      async () => (await proxy('pr-proxy-sick', 'healthz')) === 500,
      5000,
      'a 500 from the sick image',
    );
    expect(await proxy('pr-proxy-sick', 'other')).toBe(200);
    await deploy('pr-proxy-slow', 'ghcr.io/acme/slow:1');
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: 'pr-proxy-slow' })).items[0]?.status?.phase === 'Running',
    );
    expect(await proxy('pr-proxy-slow', 'healthz')).toBe(503);
  });

  it('a settled deployment stops changing: no resourceVersion churn while idle', async () => {
    await deploy('pr-idle-1', 'ghcr.io/acme/web:1', 2);
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ namespace: 'pr-idle-1', name: 'web' })).status
          ?.availableReplicas === 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    const versions = () =>
      [
        ['', 'pods'],
        ['apps', 'replicasets'],
        ['apps', 'deployments'],
        ['', 'events'],
        ['', 'services'],
      ].flatMap(([group, plural]) =>
        sim
          .list(group ?? '', plural ?? '', 'pr-idle-1')
          .map((o) => `${plural}/${o.metadata.name}@${o.metadata.resourceVersion}`),
      );
    const before = versions();
    expect(before.length).toBeGreaterThan(5);
    await new Promise((r) => setTimeout(r, 700));
    expect(versions()).toEqual(before);
  });

  it('a StatefulSet creates its pods in order and reports them ready', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-sts-1' } } });
    await apps.createNamespacedStatefulSet({
      namespace: 'pr-sts-1',
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'pg', image: 'postgres:17' }] },
          },
        },
      },
    });
    const status = await waitFor(
      async () => {
        const s = (await apps.readNamespacedStatefulSet({ namespace: 'pr-sts-1', name: 'db' })).status;
        return s?.readyReplicas === 2 ? s : undefined;
      },
      5000,
      'two ready replicas',
    );
    expect(status).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      observedGeneration: 1,
    });
    const pods = await core.listNamespacedPod({ namespace: 'pr-sts-1' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['db-0', 'db-1']);
    expect(Date.parse(String(pods.items[1]?.metadata?.creationTimestamp))).toBeGreaterThanOrEqual(
      Date.parse(String(pods.items[0]?.status?.startTime)),
    );
  });
});
