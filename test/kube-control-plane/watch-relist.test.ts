import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import { fastRuntime, specFor } from '../kubernetes-runtime/runtime-fixture.ts';
import {
  type KubeControlPlane,
  startKubeControlPlane,
} from '../support/kube-control-plane/start-kube-control-plane.ts';
import { onRealKube } from '../support/kube-target.ts';
import { waitFor } from '../support/wait-for.ts';

/** etcd's current revision, then a compaction up to it: every older resourceVersion is gone. */
async function compactEtcd(etcdUrl: string): Promise<number> {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${etcdUrl}${route}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`etcd ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { header?: { revision?: string } };
  };
  const { header } = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  const revision = Number(header?.revision);
  await post('/v3/kv/compaction', { revision, physical: true });
  return revision;
}

describe.skipIf(!onRealKube)('a watch whose resourceVersion is compacted away (410 Gone)', () => {
  let plane: KubeControlPlane;
  let core: CoreV1Api;
  let runtime: KubernetesRuntime;
  const auditLogPath = path.join(tmpdir(), `glimpse-watch-relist-${process.pid}.log`);

  beforeAll(async () => {
    plane = await startKubeControlPlane({ watchCache: false, auditLogPath });
    core = kubeConfigFor(plane).makeApiClient(CoreV1Api);
    // Watches end after 2 s, so the rollout's watches resume often, from a resourceVersion etcd may have dropped.
    runtime = fastRuntime(plane, {
      timing: {
        pollIntervalMs: 100,
        deleteBackoffMinMs: 20,
        deleteBackoffMaxMs: 100,
        watchTimeoutSeconds: 2,
      },
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await plane?.close();
  });

  const setUnschedulable = (unschedulable: boolean) =>
    core.patchNode(
      { name: plane.nodeName, body: { spec: { unschedulable } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  it('leads to a fresh list, and the deploy still sees its rollout finish', async () => {
    await setUnschedulable(true);
    const deploying = runtime.deploy(
      specFor(1, { image: 'ghcr.io/acme/web:1' }),
      new AbortController().signal,
    );
    await waitFor(
      async () => (await core.listNamespacedPod({ namespace: 'pr-web-1' })).items.length === 1,
      60_000,
      'the pod, unschedulable for now',
    );
    const podLists = () =>
      readFileSync(auditLogPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as { verb: string; objectRef?: { resource?: string; namespace?: string } },
        )
        .filter(
          (e) =>
            e.verb === 'list' && e.objectRef?.resource === 'pods' && e.objectRef.namespace === 'pr-web-1',
        ).length;
    const listsBefore = podLists();
    // Newer writes, then a compaction past every resourceVersion the rollout's watches hold, until they relist.
    await waitFor(
      async () => {
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { generateName: 'newer-' } },
        });
        await compactEtcd(plane.etcdUrl);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return podLists() > listsBefore;
      },
      60_000,
      'the rollout to list pods again',
    );
    await setUnschedulable(false);
    await expect(deploying).resolves.toEqual({ url: 'https://pr-web-1.preview.example.test' });
  }, 300_000);
});
