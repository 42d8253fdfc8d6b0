import type { KubeApi } from './api-core.ts';
import { controllerRef, isActive, isPodReady, ownedBy, sameStatus, templateHash } from './controller-util.ts';
import { deleteObject } from './deletion.ts';
import { recordEvent } from './events.ts';
import { clone, type JsonObject, numberField, objectField } from './kube-object.ts';
import { KubeStatusError } from './kube-status.ts';
import { mustType } from './resource-types.ts';

const stsType = mustType('apps', 'statefulsets');
const podType = mustType('', 'pods');

/** OrderedReady StatefulSets: pods name-0..n-1 created one at a time once the previous is Ready, rolled from the top. */
export function syncStatefulSets(api: KubeApi): void {
  const store = api.store;
  for (const sts of store.list(stsType)) {
    if (!isActive(sts)) continue;
    const ns = sts.metadata.namespace;
    const name = sts.metadata.name;
    const desired = numberField(sts, 'spec', 'replicas') ?? 1;
    const template = clone(objectField(sts, 'spec', 'template'));
    const revision = `${name}-${templateHash(template)}`;
    const pods = store.list(podType, ns).filter((p) => ownedBy(p, sts));
    const byOrdinal = new Map(pods.map((p) => [Number(p.metadata.name.slice(name.length + 1)), p]));
    const busy = pods.some((p) => !isActive(p));
    if (!busy) {
      for (let i = 0; i < desired; i++) {
        const pod = byOrdinal.get(i);
        if (pod === undefined) {
          const labels = {
            ...(objectField(template, 'metadata', 'labels') as Record<string, string>),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': `${name}-${i}`,
            'apps.kubernetes.io/pod-index': String(i),
          };
          try {
            api.create(
              podType,
              ns,
              {
                metadata: {
                  ...objectField(template, 'metadata'),
                  name: `${name}-${i}`,
                  labels,
                  ownerReferences: [controllerRef(sts)],
                },
                spec: clone(objectField(template, 'spec')),
              },
              { manager: 'kube-controller-manager' },
            );
            recordEvent(
              store,
              sts,
              'Normal',
              'SuccessfulCreate',
              `create Pod ${name}-${i} in StatefulSet ${name} successful`,
              'statefulset-controller',
            );
          } catch (err) {
            recordEvent(
              store,
              sts,
              'Warning',
              'FailedCreate',
              `create Pod ${name}-${i} in StatefulSet ${name} failed error: ${err instanceof KubeStatusError ? err.message : String(err)}`,
              'statefulset-controller',
            );
          }
          break;
        }
        if (!isPodReady(pod)) break;
      }
      const extra = [...byOrdinal.keys()].filter((i) => i >= desired).sort((a, b) => b - a)[0];
      const allReady = pods.length > 0 && pods.every(isPodReady);
      const outdated = pods
        .filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revision)
        .sort((a, b) => b.metadata.name.localeCompare(a.metadata.name, undefined, { numeric: true }))[0];
      if (extra !== undefined) deleteObject(store, podType, ns, `${name}-${extra}`, {});
      else if (outdated !== undefined && allReady && pods.length >= desired)
        deleteObject(store, podType, ns, outdated.metadata.name, {});
    }
    const live = store.list(podType, ns).filter((p) => ownedBy(p, sts) && isActive(p));
    const ready = live.filter(isPodReady).length;
    const updated = live.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
    const status: JsonObject = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: ready,
      currentReplicas: updated,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision:
        updated === live.length ? revision : String(objectField(sts, 'status').currentRevision ?? revision),
      updateRevision: revision,
      collisionCount: 0,
    };
    const current = store.get(stsType, ns, name);
    if (current === undefined || sameStatus(current.status, status)) continue;
    current.status = status;
    store.replace(stsType, current);
  }
}
