/** The resources the simulator serves, with what discovery needs to describe them. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  /** Whether spec changes bump metadata.generation and status is only written through /status. */
  hasStatus: boolean;
  verbs: string[];
}

const crud = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function type(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<
    Pick<ResourceType, 'shortNames' | 'categories' | 'subresources' | 'hasStatus' | 'verbs'>
  > = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    subresources: extra.subresources ?? [],
    hasStatus: extra.hasStatus ?? false,
    verbs: extra.verbs ?? crud,
  };
}

const all = ['all'];

export const resourceTypes: ResourceType[] = [
  type('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    hasStatus: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  type('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: all,
    subresources: ['status', 'log', 'proxy'],
    hasStatus: true,
  }),
  type('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: all,
    subresources: ['status', 'proxy'],
    hasStatus: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  type('', 'v1', 'Secret', 'secrets', true),
  type('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  type('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  type('', 'v1', 'ResourceQuota', 'resourcequotas', true, {
    shortNames: ['quota'],
    subresources: ['status'],
    hasStatus: true,
  }),
  type('', 'v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  type('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  type('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  type('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'], hasStatus: true }),
  type('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: all,
    subresources: ['status', 'scale'],
    hasStatus: true,
  }),
  type('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: all,
    subresources: ['status', 'scale'],
    hasStatus: true,
  }),
  type('apps', 'v1', 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: all,
    subresources: ['status', 'scale'],
    hasStatus: true,
  }),
  type('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, {
    shortNames: ['ing'],
    subresources: ['status'],
    hasStatus: true,
  }),
  type('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  type('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, {
    verbs: ['create'],
  }),
  type('metrics.k8s.io', 'v1beta1', 'PodMetrics', 'pods', true, { verbs: ['get', 'list'] }),
  type('metrics.k8s.io', 'v1beta1', 'NodeMetrics', 'nodes', false, { verbs: ['get', 'list'] }),
];

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function typeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

const typeKeys = new WeakMap<ResourceType, string>();

/** Memoised: the store asks for it on every read of every object. */
export function typeKey(type: ResourceType): string {
  let key = typeKeys.get(type);
  if (key === undefined) {
    key = `${type.group}/${type.plural}`;
    typeKeys.set(type, key);
  }
  return key;
}

/** The stored (CRUD) resource types; review and metrics types are virtual. */
export function isStored(type: ResourceType): boolean {
  return type.group !== 'authorization.k8s.io' && type.group !== 'metrics.k8s.io';
}

export function mustType(group: string, plural: string): ResourceType {
  const t = resourceTypes.find((r) => r.group === group && r.plural === plural && isStored(r));
  if (t === undefined) throw new Error(`unknown resource ${group}/${plural}`);
  return t;
}
