import { isDeepStrictEqual } from 'node:util';
import { field, isJsonObject, type JsonObject, type KubeObject, stableStringify } from './kube-object.ts';
import { timestamp } from './object-store.ts';

export function ownedBy(child: KubeObject, owner: KubeObject): boolean {
  return (child.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

export function controllerRef(owner: KubeObject): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
} {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = field(pod, 'status', 'conditions');
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => field(c, 'type') === 'Ready' && field(c, 'status') === 'True')
  );
}

export function isActive(o: KubeObject): boolean {
  return o.metadata.deletionTimestamp === undefined;
}

/** FNV-1a over the stable JSON of a pod template, encoded like Kubernetes' SafeEncodeString. */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(stableStringify(template))) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(h)].map((d) => alphabet[d.charCodeAt(0) % alphabet.length]).join('');
}

/** Sets a condition, keeping its timestamps when nothing but the probe changed. */
export function setCondition(
  conditions: JsonObject[],
  type: string,
  status: string,
  reason: string,
  message: string,
  touch: boolean,
): JsonObject[] {
  const at = timestamp();
  const existing = conditions.find((c) => c.type === type);
  const transitioned = existing?.status !== status;
  const changed = transitioned || existing?.reason !== reason || existing?.message !== message;
  const next: JsonObject = {
    type,
    status,
    lastUpdateTime: changed || touch ? at : (existing?.lastUpdateTime ?? at),
    lastTransitionTime: transitioned ? at : (existing?.lastTransitionTime ?? at),
    reason,
    message,
  };
  return [...conditions.filter((c) => c.type !== type), next];
}

export function conditionList(status: unknown): JsonObject[] {
  const list = field(status, 'conditions');
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

/** Key order does not matter, as with the stable JSON; this walks the values instead of printing them. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}
