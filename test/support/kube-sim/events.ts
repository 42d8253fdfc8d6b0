import { randomBytes } from 'node:crypto';
import type { KubeObject } from './kube-object.ts';
import { type ObjectStore, timestamp } from './object-store.ts';
import { apiVersionOf, mustType } from './resource-types.ts';

/** Records a core/v1 Event about an object, as controllers and the kubelet do (what `kubectl describe` shows). */
export function recordEvent(
  store: ObjectStore,
  about: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): void {
  const namespace = about.metadata.namespace ?? 'default';
  const eventType = mustType('', 'events');
  if (store.get(mustType('', 'namespaces'), undefined, namespace) === undefined) return;
  const involvedObject = {
    kind: about.kind,
    namespace,
    name: about.metadata.name,
    uid: about.metadata.uid,
    apiVersion: about.apiVersion,
    resourceVersion: about.metadata.resourceVersion,
  };
  const existing = store
    .list(eventType, namespace)
    .find(
      (e) =>
        e.reason === reason &&
        e.message === message &&
        (e.involvedObject as { uid?: string }).uid === about.metadata.uid,
    );
  const at = timestamp();
  if (existing !== undefined) {
    existing.count = Number(existing.count ?? 1) + 1;
    existing.lastTimestamp = at;
    store.replace(eventType, existing);
    return;
  }
  store.insert(eventType, {
    apiVersion: apiVersionOf(eventType),
    kind: 'Event',
    metadata: {
      name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`,
      namespace,
    } as KubeObject['metadata'],
    involvedObject,
    reason,
    message,
    type,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component, ...(component === 'kubelet' ? { host: 'sim-node-1' } : {}) },
    reportingComponent: component,
    reportingInstance: component === 'kubelet' ? 'sim-node-1' : '',
  });
}
