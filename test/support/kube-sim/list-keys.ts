import { isJsonObject, type JsonObject } from './kube-object.ts';

/** Associative lists and their merge keys, as the Kubernetes OpenAPI `x-kubernetes-list-map-keys` say. */
const keyedLists: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  hostAliases: ['ip'],
};

/** The merge keys for a list stored under `name`, or undefined for an atomic list. */
export function listKeys(name: string, items: unknown[]): string[] | undefined {
  if (name === 'ports') {
    const first = items.find(isJsonObject);
    if (first === undefined) return undefined;
    if ('containerPort' in first) return ['containerPort', 'protocol'];
    if ('port' in first) return ['port', 'protocol'];
    return undefined;
  }
  return keyedLists[name];
}

/** The key of one element of a keyed list, as managedFields spell it: `k:{"name":"app"}`. */
export function itemKey(keys: string[], item: unknown): string | undefined {
  if (!isJsonObject(item)) return undefined;
  const key: JsonObject = {};
  for (const k of keys) {
    const value = item[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    if (value === undefined) return undefined;
    key[k] = value;
  }
  return `k:${JSON.stringify(key)}`;
}
