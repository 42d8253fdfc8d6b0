import {
  arrayField,
  field,
  isJsonObject,
  type JsonObject,
  type KubeObject,
  objectField,
} from './kube-object.ts';
import { forbidden, KubeStatusError } from './kube-status.ts';
import type { ObjectStore } from './object-store.ts';
import { formatQuantity, parseQuantity } from './quantity.ts';
import { mustType, type ResourceType } from './resource-types.ts';

const computeResources = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];

/** Refuses writes into a namespace that does not exist or is terminating, like the NamespaceLifecycle plugin. */
export function admitNamespace(store: ObjectStore, type: ResourceType, o: KubeObject): void {
  const ns = o.metadata.namespace;
  if (!type.namespaced || ns === undefined) return;
  const nsType = mustType('', 'namespaces');
  const namespace = store.get(nsType, undefined, ns);
  if (namespace === undefined) {
    throw new KubeStatusError(404, 'NotFound', `namespaces "${ns}" not found`, {
      name: ns,
      kind: 'namespaces',
    });
  }
  if (namespace.metadata.deletionTimestamp !== undefined) {
    throw new KubeStatusError(
      403,
      'Forbidden',
      `${type.plural}${type.group ? `.${type.group}` : ''} "${o.metadata.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      {
        name: o.metadata.name,
        group: type.group,
        kind: type.plural,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${ns} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }
}

/** Fills container resources from the namespace's LimitRange defaults (LimitRanger plugin). */
export function applyLimitRanges(store: ObjectStore, pod: KubeObject): void {
  const ranges = store.list(mustType('', 'limitranges'), pod.metadata.namespace);
  for (const c of arrayField(pod, 'spec', 'containers')) {
    if (!isJsonObject(c)) continue;
    const resources = isJsonObject(c.resources) ? c.resources : {};
    c.resources = resources;
    for (const range of ranges) {
      for (const limit of arrayField(range, 'spec', 'limits')) {
        if (field(limit, 'type') !== 'Container') continue;
        const def = objectField(limit, 'default');
        const defReq = objectField(limit, 'defaultRequest');
        const limits = isJsonObject(resources.limits) ? resources.limits : {};
        const requests = isJsonObject(resources.requests) ? resources.requests : {};
        for (const [k, v] of Object.entries(def)) limits[k] ??= v;
        for (const [k, v] of Object.entries(defReq)) requests[k] ??= v;
        if (Object.keys(limits).length > 0) resources.limits = limits;
        if (Object.keys(requests).length > 0) resources.requests = requests;
      }
    }
    const limits = isJsonObject(resources.limits) ? resources.limits : {};
    const requests: JsonObject = isJsonObject(resources.requests) ? resources.requests : {};
    for (const [k, v] of Object.entries(limits)) requests[k] ??= v;
    if (Object.keys(requests).length > 0) resources.requests = requests;
  }
  const hasAny = arrayField(pod, 'spec', 'containers').some(
    (c) => Object.keys(objectField(c, 'resources', 'requests')).length > 0,
  );
  const status = objectField(pod, 'status');
  status.qosClass = hasAny ? 'Burstable' : 'BestEffort';
  pod.status = status;
}

/** Sums what a pod asks for, per quota resource name. */
export function podUsage(pod: unknown): Map<string, number> {
  const usage = new Map<string, number>([
    ['pods', 1],
    ['count/pods', 1],
  ]);
  for (const c of arrayField(pod, 'spec', 'containers')) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const [res, q] of Object.entries(objectField(c, 'resources', kind))) {
        const key = `${kind}.${res}`;
        usage.set(key, (usage.get(key) ?? 0) + parseQuantity(q));
        if (kind === 'requests') usage.set(res, (usage.get(res) ?? 0) + parseQuantity(q));
      }
    }
  }
  return usage;
}

function isCounted(pod: KubeObject): boolean {
  const phase = field(pod, 'status', 'phase');
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** What the namespace's pods and objects use, per quota resource name. */
export function namespaceUsage(store: ObjectStore, namespace: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const pod of store.scan(mustType('', 'pods'), namespace).filter(isCounted)) {
    for (const [k, v] of podUsage(pod)) used.set(k, (used.get(k) ?? 0) + v);
  }
  for (const [group, plural] of [
    ['', 'services'],
    ['', 'secrets'],
    ['', 'configmaps'],
    ['apps', 'deployments'],
  ] as const) {
    const count = store.scan(mustType(group, plural), namespace).length;
    used.set(plural, count);
    used.set(`count/${plural}${group ? `.${group}` : ''}`, count);
  }
  return used;
}

/** Refuses a pod or object that would exceed a ResourceQuota (403 "exceeded quota", like the real plugin). */
export function enforceQuota(store: ObjectStore, type: ResourceType, o: KubeObject): void {
  const ns = o.metadata.namespace;
  if (ns === undefined) return;
  const quotas = store.list(mustType('', 'resourcequotas'), ns);
  if (quotas.length === 0) return;
  const requested =
    type.kind === 'Pod'
      ? podUsage(o)
      : new Map([
          [type.plural, 1],
          [`count/${type.plural}${type.group ? `.${type.group}` : ''}`, 1],
        ]);
  const used = namespaceUsage(store, ns);
  for (const quota of quotas) {
    const hard = objectField(quota, 'spec', 'hard');
    if (type.kind === 'Pod') {
      const missing = computeResources.filter(
        (r) => hard[r] !== undefined && !requested.has(r.includes('.') ? r : `requests.${r}`),
      );
      if (missing.length > 0) {
        const names = arrayField(o, 'spec', 'containers').map((c) => String(field(c, 'name')));
        const why = missing.map((r) => `${r} for: ${names.join(',')}`).join('; ');
        throw forbidden(type, o.metadata.name, `failed quota: ${quota.metadata.name}: must specify ${why}`);
      }
    }
    const over = Object.keys(hard)
      .filter((r) => requested.has(r))
      .filter((r) => (used.get(r) ?? 0) + (requested.get(r) ?? 0) > parseQuantity(hard[r]) + 1e-9)
      .sort();
    if (over.length === 0) continue;
    const fmt = (m: (r: string) => number): string =>
      over.map((r) => `${r}=${formatQuantity(m(r), r)}`).join(',');
    throw forbidden(
      type,
      o.metadata.name,
      `exceeded quota: ${quota.metadata.name}, requested: ${fmt((r) => requested.get(r) ?? 0)}, used: ${fmt((r) => used.get(r) ?? 0)}, limited: ${fmt((r) => parseQuantity(hard[r]))}`,
    );
  }
}
