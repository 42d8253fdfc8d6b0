import { isPodReady, sameStatus } from './controller-util.ts';
import {
  arrayField,
  field,
  type JsonObject,
  type KubeObject,
  objectField,
  stringField,
} from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { mustType } from './resource-types.ts';
import { selectorObjectMatches } from './selectors.ts';

const svcType = mustType('', 'services');
const podType = mustType('', 'pods');
const epType = mustType('', 'endpoints');
const sliceType = mustType('discovery.k8s.io', 'endpointslices');

/** Keeps an Endpoints object and one EndpointSlice per selector Service, from the pods that match it. */
export function syncEndpoints(store: ObjectStore): void {
  for (const svc of store.scan(svcType)) {
    const selector = objectField(svc, 'spec', 'selector') as Record<string, string>;
    if (Object.keys(selector).length === 0 || svc.metadata.deletionTimestamp !== undefined) continue;
    const ns = svc.metadata.namespace;
    const pods = store
      .scan(podType, ns)
      .filter(
        (p) =>
          p.metadata.deletionTimestamp === undefined &&
          stringField(p, 'status', 'podIP') !== undefined &&
          selectorObjectMatches({ matchLabels: selector }, p.metadata.labels ?? {}),
      );
    const ports = arrayField(svc, 'spec', 'ports').map((p) => ({
      ...(field(p, 'name') === undefined ? {} : { name: String(field(p, 'name')) }),
      port: Number(field(p, 'targetPort') ?? field(p, 'port')),
      protocol: String(field(p, 'protocol') ?? 'TCP'),
    }));
    const address = (p: KubeObject): JsonObject => ({
      ip: stringField(p, 'status', 'podIP') ?? '',
      nodeName: stringField(p, 'spec', 'nodeName') ?? '',
      targetRef: { kind: 'Pod', namespace: ns ?? '', name: p.metadata.name, uid: p.metadata.uid },
    });
    const ready = pods.filter(isPodReady).map(address);
    const notReady = pods.filter((p) => !isPodReady(p)).map(address);
    const subset: JsonObject = { ports };
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    const owner = {
      name: svc.metadata.name,
      namespace: ns ?? '',
      labels: { 'kubernetes.io/service-name': svc.metadata.name },
    };
    upsert(
      store,
      epType,
      { apiVersion: 'v1', kind: 'Endpoints', metadata: owner },
      'subsets',
      pods.length > 0 ? [subset] : [],
    );
    const endpoints = pods.map((p) => ({
      addresses: [stringField(p, 'status', 'podIP') ?? ''],
      conditions: { ready: isPodReady(p), serving: isPodReady(p), terminating: false },
      nodeName: stringField(p, 'spec', 'nodeName') ?? '',
      targetRef: { kind: 'Pod', namespace: ns ?? '', name: p.metadata.name, uid: p.metadata.uid },
    }));
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      metadata: {
        ...owner,
        name: `${svc.metadata.name}-sim`,
        labels: {
          ...owner.labels,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: svc.metadata.name,
            uid: svc.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
    };
    const slicePorts = ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol }));
    upsert(store, sliceType, slice, 'endpoints', endpoints, { ports: slicePorts });
  }
}

function upsert(
  store: ObjectStore,
  type: typeof epType,
  base: { apiVersion: string; kind: string; metadata: Record<string, unknown> },
  key: string,
  value: unknown,
  extra: Record<string, unknown> = {},
): void {
  const name = String(base.metadata.name);
  const ns = String(base.metadata.namespace);
  const existing = store.peek(type, ns, name);
  if (existing === undefined) {
    store.insert(type, { ...base, [key]: value, ...extra } as unknown as KubeObject);
    return;
  }
  if (sameStatus(existing[key], value) && Object.entries(extra).every(([k, v]) => sameStatus(existing[k], v)))
    return;
  store.replace(type, { ...existing, [key]: value, ...extra });
}
