import { PassThrough } from 'node:stream';
import {
  ApisApi,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  Log,
  Metrics,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGet } from '../../src/runtimes/kubernetes/raw-get.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { waitFor } from '../support/wait-for.ts';
import { apiError, kubeConfigFor } from './client-helpers.ts';
import { deploymentObject } from './manifests.ts';

let sim: KubeSimulator;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  sim = await startKubeSimulator({
    kubelet: { startDelayMs: 30, terminationDelayMs: 30, logIntervalMs: 60_000 },
    bookmarkIntervalMs: 150,
  });
  kc = kubeConfigFor(sim);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

afterAll(async () => {
  await sim.close();
  expect(sim.controllerErrors).toEqual([]);
  expect(sim.requests.unmatched()).toEqual([]);
});

interface Seen {
  type: string;
  name: string | undefined;
  rv: string | undefined;
  code?: number;
  reason?: string;
}

function collect(kc: KubeConfig, path: string, query: Record<string, string | boolean | number>) {
  const events: Seen[] = [];
  let done: ((err: unknown) => void) | undefined;
  const finished = new Promise<unknown>((resolve) => {
    done = resolve;
  });
  const started = new Watch(kc).watch(
    path,
    query,
    (
      type,
      obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string },
    ) => {
      const seen: Seen = { type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion };
      if (obj.code !== undefined) seen.code = obj.code;
      if (obj.reason !== undefined) seen.reason = obj.reason;
      events.push(seen);
    },
    (err) => done?.(err),
  );
  return { events, finished, started };
}

describe('@kubernetes/client-node against the simulator', () => {
  it('creates, lists by label and field selector, and reports 404 and 409 as ApiException codes', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-crud-1' } } });
    for (const [name, tier] of [
      ['a', 'web'],
      ['b', 'db'],
      ['c', 'web'],
    ]) {
      await core.createNamespacedConfigMap({
        namespace: 'pr-crud-1',
        body: { metadata: { name: `cm-${name}`, labels: { tier: tier ?? '' } }, data: { k: 'v' } },
      });
    }
    const web = await core.listNamespacedConfigMap({ namespace: 'pr-crud-1', labelSelector: 'tier=web' });
    expect(web.items.map((i) => i.metadata?.name)).toEqual(['cm-a', 'cm-c']);
    const byName = await core.listNamespacedConfigMap({
      namespace: 'pr-crud-1',
      fieldSelector: 'metadata.name=cm-b',
    });
    expect(byName.items.map((i) => i.metadata?.name)).toEqual(['cm-b']);
    const notIn = await core.listNamespacedConfigMap({
      namespace: 'pr-crud-1',
      labelSelector: 'tier notin (web)',
    });
    expect(notIn.items.map((i) => i.metadata?.name)).toEqual(['cm-b']);

    const missing = await apiError(() =>
      core.readNamespacedConfigMap({ namespace: 'pr-crud-1', name: 'nope' }),
    );
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
    });

    const dup = await apiError(() =>
      core.createNamespacedConfigMap({ namespace: 'pr-crud-1', body: { metadata: { name: 'cm-a' } } }),
    );
    expect(dup.code).toBe(409);
    expect(dup.status.reason).toBe('AlreadyExists');

    const current = await core.readNamespacedConfigMap({ namespace: 'pr-crud-1', name: 'cm-a' });
    await core.replaceNamespacedConfigMap({
      namespace: 'pr-crud-1',
      name: 'cm-a',
      body: { ...current, data: { k: 'v2' } },
    });
    const stale = await apiError(() =>
      core.replaceNamespacedConfigMap({
        namespace: 'pr-crud-1',
        name: 'cm-a',
        body: { ...current, data: { k: 'v3' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(stale.status.message).toContain('the object has been modified');

    const noNs = await apiError(() =>
      core.createNamespacedConfigMap({ namespace: 'pr-missing', body: { metadata: { name: 'x' } } }),
    );
    expect(noNs.code).toBe(404);
    expect(noNs.status.message).toBe('namespaces "pr-missing" not found');
  });

  it('answers discovery of a group it does not serve with a plain 404, as a real API server does', async () => {
    const unknown = await rawGet(kc, '/apis/widgets.example.com/v1', 5000);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    expect(sim.requests.unmatched()).toEqual([]);
  });

  it('refuses an invalid deployment with 422 and field causes', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-invalid-1' } } });
    const bad = deploymentObject('pr-invalid-1', 'web', 'img:1');
    bad.spec.selector = { matchLabels: { app: 'other' } };
    const res = await apiError(() =>
      apps.createNamespacedDeployment({ namespace: 'pr-invalid-1', body: bad }),
    );
    expect(res.code).toBe(422);
    expect(res.status.reason).toBe('Invalid');
    expect(res.status.details?.causes?.[0]?.field).toBe('spec.template.metadata.labels');
    const longName = await apiError(() =>
      core.createNamespace({ body: { metadata: { name: `pr-${'x'.repeat(70)}` } } }),
    );
    expect(longName.code).toBe(422);
    expect(longName.status.message).toContain('must be no more than 63 characters');
  });

  it('watches resume from a resourceVersion, send bookmarks, and answer 410 Expired for a compacted one', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-watch-2' } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'pr-watch-2' });
    const rv = list.metadata?.resourceVersion ?? '';
    await core.createNamespacedConfigMap({ namespace: 'pr-watch-2', body: { metadata: { name: 'one' } } });
    await core.createNamespacedConfigMap({ namespace: 'pr-watch-2', body: { metadata: { name: 'two' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'pr-watch-2', name: 'one' });

    const w = collect(kc, '/api/v1/namespaces/pr-watch-2/configmaps', {
      resourceVersion: rv,
      allowWatchBookmarks: true,
    });
    await waitFor(() => w.events.some((e) => e.type === 'BOOKMARK'), 5000, 'a bookmark');
    const changes = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`);
    expect(changes).toEqual(['ADDED one', 'ADDED two', 'DELETED one']);
    await core.createNamespacedConfigMap({ namespace: 'pr-watch-2', body: { metadata: { name: 'three' } } });
    await waitFor(() => w.events.some((e) => e.type === 'ADDED' && e.name === 'three'), 5000, 'live ADDED');
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark?.rv)).toBeGreaterThanOrEqual(Number(rv));
    (await w.started).abort();

    sim.compactHistory();
    const old = collect(kc, '/api/v1/namespaces/pr-watch-2/configmaps', { resourceVersion: rv });
    await old.finished;
    expect(old.events).toEqual([
      { type: 'ERROR', name: undefined, rv: undefined, code: 410, reason: 'Expired' },
    ]);
    expect(sim.requests.count({ verb: 'watch', resource: 'configmaps', namespace: 'pr-watch-2' })).toBe(2);
  });

  it('a watch ends after timeoutSeconds', async () => {
    const started = Date.now();
    const w = collect(kc, '/api/v1/namespaces', { timeoutSeconds: 1, resourceVersion: '0' });
    await w.finished;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.name)).toContain('default');
  });

  it('server-side apply through patch with the apply content type tracks managers and reports 409 conflicts', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-apply-1' } } });
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const body = deploymentObject('pr-apply-1', 'web', 'ghcr.io/acme/web:1', 1);
    const owned = { ...body, metadata: { ...body.metadata, annotations: { 'glimpse.dev/pr': '1' } } };
    const created = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: owned, fieldManager: 'glimpse' },
      apply,
    );
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'glimpse', operation: 'Apply' });
    const again = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: owned, fieldManager: 'glimpse' },
      apply,
    );
    expect(again.metadata?.generation).toBe(1);

    const rival = deploymentObject('pr-apply-1', 'web', 'ghcr.io/acme/web:1', 3);
    const conflict = await apiError(() =>
      apps.patchNamespacedDeployment(
        { namespace: 'pr-apply-1', name: 'web', body: rival, fieldManager: 'rival' },
        apply,
      ),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "glimpse" using apps/v1: .spec.replicas',
    );
    expect(conflict.status.details?.causes).toEqual([
      {
        type: 'FieldManagerConflict',
        message: 'conflict with "glimpse" using apps/v1',
        field: '.spec.replicas',
      },
    ]);

    const forced = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: rival, fieldManager: 'rival', force: true },
      apply,
    );
    expect(forced.spec?.replicas).toBe(3);
    expect(forced.metadata?.generation).toBe(2);

    // glimpse stops applying its annotation (only it owned it: removed) and the label (rival co-owns it: kept)
    const lean = deploymentObject('pr-apply-1', 'web', 'ghcr.io/acme/web:1', 3) as {
      metadata: { labels?: Record<string, string> };
    };
    delete lean.metadata.labels;
    const pruned = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: lean, fieldManager: 'glimpse', force: true },
      apply,
    );
    expect(pruned.metadata?.annotations?.['glimpse.dev/pr']).toBeUndefined();
    expect(pruned.metadata?.labels).toEqual({ app: 'web' });

    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const merged = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: { metadata: { annotations: { note: 'x' } } } },
      merge,
    );
    expect(merged.metadata?.annotations).toMatchObject({ note: 'x' });
    const json = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    const patched = await apps.patchNamespacedDeployment(
      { namespace: 'pr-apply-1', name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] },
      json,
    );
    expect(patched.spec?.replicas).toBe(2);
  });

  it('foreground deletion keeps the owner until its dependents are gone; background deletes it at once', async () => {
    const ns = 'pr-cascade-1';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const name of ['fg', 'bg'])
      await apps.createNamespacedDeployment({ namespace: ns, body: deploymentObject(ns, name, 'img:1', 2) });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.status?.phase === 'Running')
          .length === 4,
    );
    sim.kubelet.terminationDelayMs = 300;
    try {
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'fg', propagationPolicy: 'Foreground' });
      const pending = await apps.readNamespacedDeployment({ namespace: ns, name: 'fg' });
      expect(pending.metadata?.deletionTimestamp).toBeDefined();
      expect(pending.metadata?.finalizers).toEqual(['foregroundDeletion']);
      await waitFor(
        async () =>
          (await apiError(() => apps.readNamespacedDeployment({ namespace: ns, name: 'fg' }))).code === 404,
        5000,
        'fg to go',
      );
      expect(sim.list('', 'pods', ns).filter((p) => p.metadata.name.startsWith('fg-'))).toEqual([]);

      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'bg', propagationPolicy: 'Background' });
      expect((await apiError(() => apps.readNamespacedDeployment({ namespace: ns, name: 'bg' }))).code).toBe(
        404,
      );
      await waitFor(
        () => sim.list('', 'pods', ns).length === 0 && sim.list('apps', 'replicasets', ns).length === 0,
        5000,
        'GC of bg',
      );
    } finally {
      sim.kubelet.terminationDelayMs = 30;
    }
    const deleting = (await core.deleteNamespace({ name: ns, propagationPolicy: 'Foreground' })) as {
      status?: { phase?: string };
    };
    expect(deleting.status?.phase).toBe('Terminating');
    await waitFor(
      async () => (await apiError(() => core.readNamespace({ name: ns }))).code === 404,
      5000,
      'the namespace to go',
    );
  });

  it('follows pod logs as lines are written', async () => {
    await core.createNamespace({ body: { metadata: { name: 'pr-logs-2' } } });
    await core.createNamespacedPod({
      namespace: 'pr-logs-2',
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'img:1' }] } },
    });
    await waitFor(
      async () =>
        (await core.readNamespacedPod({ namespace: 'pr-logs-2', name: 'p' })).status?.phase === 'Running',
    );
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const abort = await new Log(kc).log('pr-logs-2', 'p', 'app', out, { follow: true, tailLines: 1 });
    await waitFor(() => text.includes('listening on :8080'), 5000, 'the tail line');
    expect(text).not.toContain('starting');
    let ended = false;
    out.on('end', () => {
      ended = true;
    });
    sim.appendLog('pr-logs-2', 'p', 'app', 'later line');
    await waitFor(() => text.includes('later line\n'), 5000, 'a followed line');
    expect(abort.signal.aborted).toBe(false);
    await core.createNamespacedPod({
      namespace: 'pr-logs-2',
      body: { metadata: { name: 'q' }, spec: { containers: [{ name: 'app', image: 'img:1' }] } },
    });
    await core.deleteNamespacedPod({ namespace: 'pr-logs-2', name: 'p', gracePeriodSeconds: 0 });
    await waitFor(() => ended, 5000, 'the follow to end when the pod is gone');
  });

  it('refuses a pod over the namespace quota with 403 exceeded quota, after LimitRange defaults', async () => {
    const ns = 'pr-quota-1';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: {
        metadata: { name: 'preview' },
        spec: { hard: { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '10' } },
      },
    });
    await core.createNamespacedLimitRange({
      namespace: ns,
      body: {
        metadata: { name: 'defaults' },
        spec: {
          limits: [
            {
              type: 'Container',
              _default: { cpu: '500m', memory: '512Mi' },
              defaultRequest: { cpu: '100m', memory: '128Mi' },
            },
          ],
        },
      },
    });
    const pod = (name: string) => ({
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'img:1' }] },
    });
    const first = await core.createNamespacedPod({ namespace: ns, body: pod('a') });
    expect(first.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    await core.createNamespacedPod({ namespace: ns, body: pod('b') });
    const refused = await apiError(() => core.createNamespacedPod({ namespace: ns, body: pod('c') }));
    expect(refused.code).toBe(403);
    expect(refused.status.reason).toBe('Forbidden');
    expect(refused.status.message).toBe(
      'pods "c" is forbidden: exceeded quota: preview, requested: limits.cpu=500m,limits.memory=512Mi, used: limits.cpu=1,limits.memory=1Gi, limited: limits.cpu=1,limits.memory=1Gi',
    );
    await waitFor(() => sim.get('', 'resourcequotas', ns, 'preview')?.status !== undefined);
    expect(sim.get('', 'resourcequotas', ns, 'preview')?.status).toMatchObject({
      used: { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '2' },
    });

    await apps.createNamespacedDeployment({ namespace: ns, body: deploymentObject(ns, 'web', 'img:1', 2) });
    const failed = await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return d.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    });
    expect(failed).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failed.message).toContain('exceeded quota: preview');
  });

  it('answers SelfSubjectAccessReviews from the deny rules and enforces them with 403', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const review = (verb: string) =>
      authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb, resource: 'namespaces' } } },
      });
    expect((await review('delete')).status?.allowed).toBe(true);
    sim.access.deny({ verb: 'delete', resource: 'namespaces' });
    try {
      const denied = await review('delete');
      expect(denied.status).toEqual({ allowed: false });
      expect((await review('create')).status?.allowed).toBe(true);
      const res = await apiError(() => core.deleteNamespace({ name: 'pr-crud-1' }));
      expect(res.code).toBe(403);
      expect(res.status.message).toContain('cannot delete resource "namespaces"');
    } finally {
      sim.access.clear();
    }
  });

  it('serves pod metrics, and none once metrics.k8s.io is turned off', async () => {
    const metrics = new Metrics(kc);
    await waitFor(
      async () =>
        (await core.readNamespacedPod({ namespace: 'pr-logs-2', name: 'q' })).status?.phase === 'Running',
    );
    sim.setPodUsage('pr-logs-2', 'q', { cpu: '15m', memory: '40Mi' });
    const list = await metrics.getPodMetrics('pr-logs-2');
    expect(list.items.map((i) => [i.metadata.name, i.containers[0]?.usage])).toEqual([
      ['q', { cpu: '15m', memory: '40Mi' }],
    ]);
    sim.setMetricsAvailable(false);
    try {
      await expect(metrics.getPodMetrics('pr-logs-2')).rejects.toThrow();
      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      expect(groups.groups.map((g) => g.name)).not.toContain('metrics.k8s.io');
      expect(groups.groups.map((g) => g.name)).toContain('apps');
    } finally {
      sim.setMetricsAvailable(true);
    }
  });
});
