import { hasSpecFinalizers } from './api-core.ts';
import { field, type KubeObject } from './kube-object.ts';
import { conflict, notFound } from './kube-status.ts';
import { type ObjectStore, timestamp } from './object-store.ts';
import type { ResourceType } from './resource-types.ts';

export interface DeleteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KubeObject;
  /** True when the object is still there (finalizers, graceful pod termination, namespace content). */
  pending: boolean;
}

/**
 * DELETE semantics: namespaces go Terminating, pods terminate gracefully (the kubelet finishes them),
 * Foreground and Orphan add their finalizers for the garbage collector, everything else goes now.
 */
export function deleteObject(
  store: ObjectStore,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
): DeleteResult {
  const existing = store.get(type, namespace, name);
  if (existing === undefined) throw notFound(type, name);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== existing.metadata.uid) {
    throw conflict(
      type,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(
      type,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  const meta = existing.metadata;
  const finalizers = [...(meta.finalizers ?? [])];
  const policy = opts.propagationPolicy ?? (type.kind === 'Namespace' ? 'Background' : undefined);
  if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
    finalizers.push('foregroundDeletion');
  if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  const graceful =
    type.kind === 'Pod' && opts.gracePeriodSeconds !== 0 && field(existing, 'spec', 'nodeName') !== undefined;
  if (finalizers.length === 0 && !graceful && !hasSpecFinalizers(existing)) {
    return { object: store.remove(type, namespace, name) ?? existing, pending: false };
  }
  if (
    meta.deletionTimestamp !== undefined &&
    stableFinalizers(meta.finalizers) === stableFinalizers(finalizers)
  ) {
    return { object: existing, pending: true };
  }
  meta.deletionTimestamp ??= timestamp();
  if (finalizers.length > 0) meta.finalizers = finalizers;
  if (type.kind === 'Pod') {
    meta.deletionGracePeriodSeconds =
      opts.gracePeriodSeconds ?? Number(field(existing, 'spec', 'terminationGracePeriodSeconds') ?? 30);
  } else meta.deletionGracePeriodSeconds = 0;
  if (type.kind === 'Namespace') existing.status = { phase: 'Terminating' };
  return { object: store.replace(type, existing), pending: true };
}

function stableFinalizers(list: string[] | undefined): string {
  return [...(list ?? [])].sort().join(',');
}

/** Removes one finalizer from the stored object, and the object itself when nothing holds it any more. */
export function removeFinalizer(
  store: ObjectStore,
  type: ResourceType,
  obj: KubeObject,
  finalizer: string,
): void {
  const current = store.get(type, obj.metadata.namespace, obj.metadata.name);
  if (current === undefined || current.metadata.uid !== obj.metadata.uid) return;
  const rest = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  if (rest.length === 0 && current.metadata.deletionTimestamp !== undefined && !hasSpecFinalizers(current)) {
    store.remove(type, current.metadata.namespace, current.metadata.name);
    return;
  }
  if (rest.length > 0) current.metadata.finalizers = rest;
  else delete current.metadata.finalizers;
  store.replace(type, current);
}
