import { apiVersionOf, type ResourceType, resourceTypes } from './resource-types.ts';

export interface DiscoveryOptions {
  metricsAvailable: boolean;
  serverAddress: string;
}

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.3',
  gitCommit: '32cc146f75aad04beaaa245a7157eb35063a9f99',
  gitTreeState: 'clean',
  buildDate: '2025-03-11T19:52:21Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function groupVisible(group: string, opts: DiscoveryOptions): boolean {
  return group !== 'metrics.k8s.io' || opts.metricsAvailable;
}

export function apiVersions(opts: DiscoveryOptions): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: opts.serverAddress }],
  };
}

export function apiGroupList(opts: DiscoveryOptions): unknown {
  const groups = new Map<string, string>();
  for (const t of resourceTypes)
    if (t.group !== '' && groupVisible(t.group, opts)) groups.set(t.group, t.version);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, version]) => ({
      name,
      versions: [{ groupVersion: `${name}/${version}`, version }],
      preferredVersion: { groupVersion: `${name}/${version}`, version },
    })),
  };
}

export function apiGroup(group: string, opts: DiscoveryOptions): unknown {
  const t = resourceTypes.find((r) => r.group === group);
  if (t === undefined || !groupVisible(group, opts)) return undefined;
  const gv = { groupVersion: apiVersionOf(t), version: t.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [gv], preferredVersion: gv };
}

export function apiResourceList(group: string, version: string, opts: DiscoveryOptions): unknown {
  const types = resourceTypes.filter((t) => t.group === group && t.version === version);
  if (types.length === 0 || !groupVisible(group, opts)) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: types.flatMap(describe),
  };
}

function describe(t: ResourceType): unknown[] {
  const main: Record<string, unknown> = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) main.shortNames = t.shortNames;
  if (t.categories.length > 0) main.categories = t.categories;
  const subs = t.subresources.map((sub) => ({
    name: `${t.plural}/${sub}`,
    singularName: '',
    namespaced: t.namespaced,
    kind:
      sub === 'scale'
        ? 'Scale'
        : sub === 'log' || sub === 'proxy'
          ? sub === 'log'
            ? 'Pod'
            : 'PodProxyOptions'
          : t.kind,
    verbs:
      sub === 'log'
        ? ['get']
        : sub === 'proxy'
          ? ['create', 'delete', 'get', 'patch', 'update']
          : ['get', 'patch', 'update'],
  }));
  return [main, ...subs];
}
