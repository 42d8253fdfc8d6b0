import { deleteObject, removeFinalizer } from './deletion.ts';
import type { KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { isStored, type ResourceType, resourceTypes } from './resource-types.ts';

interface Entry {
  type: ResourceType;
  object: KubeObject;
}

/**
 * Owner-reference garbage collection: dependents of a deleted owner go (Background), an owner with the
 * foregroundDeletion finalizer waits until its dependents are gone, orphan strips owner references.
 */
export function collectGarbage(store: ObjectStore): void {
  const entries: Entry[] = resourceTypes
    .filter(isStored)
    .flatMap((type) => store.scan(type).map((object) => ({ type, object })));
  const uids = new Set(entries.map((e) => e.object.metadata.uid));
  const dependents = new Map<string, Entry[]>();
  for (const e of entries) {
    for (const ref of e.object.metadata.ownerReferences ?? []) {
      dependents.set(ref.uid, [...(dependents.get(ref.uid) ?? []), e]);
    }
  }
  for (const e of entries) {
    const refs = e.object.metadata.ownerReferences ?? [];
    if (
      refs.length > 0 &&
      refs.every((r) => !uids.has(r.uid)) &&
      e.object.metadata.deletionTimestamp === undefined
    ) {
      tryDelete(store, e, 'Background');
    }
  }
  for (const e of entries) {
    const meta = e.object.metadata;
    if (meta.deletionTimestamp === undefined) continue;
    const finalizers = meta.finalizers ?? [];
    const children = dependents.get(meta.uid) ?? [];
    if (finalizers.includes('orphan')) {
      for (const child of children) {
        const current = store.get(child.type, child.object.metadata.namespace, child.object.metadata.name);
        if (current === undefined) continue;
        current.metadata.ownerReferences = (current.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== meta.uid,
        );
        store.replace(child.type, current);
      }
      removeFinalizer(store, e.type, e.object, 'orphan');
      continue;
    }
    if (!finalizers.includes('foregroundDeletion')) continue;
    if (children.length === 0) {
      removeFinalizer(store, e.type, e.object, 'foregroundDeletion');
      continue;
    }
    for (const child of children) {
      if (child.object.metadata.deletionTimestamp === undefined) {
        tryDelete(
          store,
          child,
          (dependents.get(child.object.metadata.uid) ?? []).length > 0 ? 'Foreground' : 'Background',
        );
      }
    }
  }
}

function tryDelete(store: ObjectStore, e: Entry, propagationPolicy: string): void {
  try {
    deleteObject(store, e.type, e.object.metadata.namespace, e.object.metadata.name, { propagationPolicy });
  } catch {
    // already gone
  }
}
