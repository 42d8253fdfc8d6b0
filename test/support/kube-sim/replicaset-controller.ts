import type { KubeApi } from './api-core.ts';
import {
  conditionList,
  controllerRef,
  isActive,
  isPodReady,
  ownedBy,
  sameStatus,
} from './controller-util.ts';
import { deleteObject } from './deletion.ts';
import { recordEvent } from './events.ts';
import { clone, type JsonObject, type KubeObject, numberField, objectField } from './kube-object.ts';
import { KubeStatusError } from './kube-status.ts';
import { mustType } from './resource-types.ts';

const rsType = mustType('apps', 'replicasets');
const podType = mustType('', 'pods');

/** Keeps each ReplicaSet's pod count at spec.replicas and reports status (ReplicaFailure when refused). */
export function syncReplicaSets(api: KubeApi, failures: Map<string, string>): void {
  const store = api.store;
  for (const rs of store.scan(rsType)) {
    if (!isActive(rs)) continue;
    const ns = rs.metadata.namespace;
    const pods = store.scan(podType, ns).filter((p) => ownedBy(p, rs) && isActive(p));
    const desired = numberField(rs, 'spec', 'replicas') ?? 1;
    let failure = failures.get(rs.metadata.uid);
    for (let i = pods.length; i < desired; i++) {
      const template = objectField(rs, 'spec', 'template');
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...clone(objectField(template, 'metadata')),
          generateName: `${rs.metadata.name}-`,
          ownerReferences: [controllerRef(rs)],
        },
        spec: clone(objectField(template, 'spec')),
      };
      try {
        const created = api.create(podType, ns, pod, { manager: 'kube-controller-manager' });
        pods.push(created);
        recordEvent(
          store,
          rs,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.metadata.name}`,
          'replicaset-controller',
        );
        failure = undefined;
      } catch (err) {
        const message = `Error creating: ${err instanceof KubeStatusError ? err.message : String(err)}`;
        if (failure !== message)
          recordEvent(store, rs, 'Warning', 'FailedCreate', message, 'replicaset-controller');
        failure = message;
        break;
      }
    }
    if (failure === undefined) failures.delete(rs.metadata.uid);
    else failures.set(rs.metadata.uid, failure);
    if (pods.length > desired) {
      const victims = [...pods]
        .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)))
        .slice(0, pods.length - desired);
      for (const victim of victims) {
        deleteObject(store, podType, ns, victim.metadata.name, {});
        recordEvent(
          store,
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${victim.metadata.name}`,
          'replicaset-controller',
        );
      }
    }
    const live = store.scan(podType, ns).filter((p) => ownedBy(p, rs) && isActive(p));
    const ready = live.filter(isPodReady).length;
    let conditions = conditionList(rs.status).filter((c) => c.type !== 'ReplicaFailure');
    if (failure !== undefined) {
      const old = conditionList(rs.status).find((c) => c.type === 'ReplicaFailure');
      const at =
        typeof old?.lastTransitionTime === 'string'
          ? old.lastTransitionTime
          : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      conditions = [
        ...conditions,
        {
          type: 'ReplicaFailure',
          status: 'True',
          lastTransitionTime: at,
          reason: 'FailedCreate',
          message: failure,
        },
      ];
    }
    const status: JsonObject = {
      replicas: live.length,
      fullyLabeledReplicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    if (conditions.length > 0) status.conditions = conditions;
    if (sameStatus(store.peek(rsType, ns, rs.metadata.name)?.status, status)) continue;
    const current = store.get(rsType, ns, rs.metadata.name);
    if (current === undefined) continue;
    current.status = status;
    store.replace(rsType, current);
  }
}

export function replicaSetsOf(api: KubeApi, owner: KubeObject): KubeObject[] {
  return api.store.scan(rsType, owner.metadata.namespace).filter((rs) => ownedBy(rs, owner));
}
