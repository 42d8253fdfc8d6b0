import { arrayField, field, type KubeObject, numberField, objectField, stringField } from './kube-object.ts';

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject) => string | number;
}

/** Age as kubectl shows it: 45s, 3m12s, 5h, 2d3h. */
export function humanAge(since: string | undefined): string {
  if (since === undefined) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const age: Column = { name: 'Age', type: 'string', cell: (o) => humanAge(o.metadata.creationTimestamp) };
const num = (n: string, ...path: string[]): Column => ({
  name: n,
  type: 'integer',
  cell: (o) => numberField(o, ...path) ?? 0,
});

export function podStatusReason(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  for (const cs of arrayField(pod, 'status', 'containerStatuses')) {
    const waiting = stringField(cs, 'state', 'waiting', 'reason');
    if (waiting !== undefined && waiting !== '') return waiting;
    const term = stringField(cs, 'state', 'terminated', 'reason');
    if (term !== undefined) return term;
  }
  return stringField(pod, 'status', 'phase') ?? 'Pending';
}

const columnsByKind: Record<string, Column[]> = {
  Namespace: [
    name,
    { name: 'Status', type: 'string', cell: (o) => stringField(o, 'status', 'phase') ?? '' },
    age,
  ],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = arrayField(o, 'status', 'containerStatuses');
        const total = arrayField(o, 'spec', 'containers').length;
        return `${statuses.filter((s) => field(s, 'ready') === true).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatusReason },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(
          arrayField(o, 'status', 'containerStatuses').reduce(
            (n: number, s) => n + (numberField(s, 'restartCount') ?? 0),
            0,
          ),
        ),
    },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => stringField(o, 'status', 'podIP') ?? '<none>' },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      cell: (o) => stringField(o, 'spec', 'nodeName') ?? '<none>',
    },
  ],
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${numberField(o, 'status', 'readyReplicas') ?? 0}/${numberField(o, 'spec', 'replicas') ?? 0}`,
    },
    num('Up-to-date', 'status', 'updatedReplicas'),
    num('Available', 'status', 'availableReplicas'),
    age,
  ],
  ReplicaSet: [
    name,
    num('Desired', 'spec', 'replicas'),
    num('Current', 'status', 'replicas'),
    num('Ready', 'status', 'readyReplicas'),
    age,
  ],
  StatefulSet: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${numberField(o, 'status', 'readyReplicas') ?? 0}/${numberField(o, 'spec', 'replicas') ?? 0}`,
    },
    age,
  ],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => stringField(o, 'spec', 'type') ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => stringField(o, 'spec', 'clusterIP') ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        arrayField(o, 'spec', 'ports')
          .map((p) => `${field(p, 'port')}/${field(p, 'protocol') ?? 'TCP'}`)
          .join(',') || '<none>',
    },
    age,
  ],
  Ingress: [
    name,
    { name: 'Class', type: 'string', cell: (o) => stringField(o, 'spec', 'ingressClassName') ?? '<none>' },
    {
      name: 'Hosts',
      type: 'string',
      cell: (o) =>
        arrayField(o, 'spec', 'rules')
          .map((r) => field(r, 'host') ?? '*')
          .join(',') || '*',
    },
    { name: 'Address', type: 'string', cell: () => '' },
    {
      name: 'Ports',
      type: 'string',
      cell: (o) => (arrayField(o, 'spec', 'tls').length > 0 ? '80, 443' : '80'),
    },
    age,
  ],
  Event: [
    { name: 'Last Seen', type: 'string', cell: (o) => humanAge(stringField(o, 'lastTimestamp')) },
    { name: 'Type', type: 'string', cell: (o) => stringField(o, 'type') ?? '' },
    { name: 'Reason', type: 'string', cell: (o) => stringField(o, 'reason') ?? '' },
    {
      name: 'Object',
      type: 'string',
      cell: (o) =>
        `${String(stringField(o, 'involvedObject', 'kind')).toLowerCase()}/${stringField(o, 'involvedObject', 'name')}`,
    },
    { name: 'Message', type: 'string', cell: (o) => stringField(o, 'message') ?? '' },
  ],
  ResourceQuota: [
    name,
    age,
    {
      name: 'Request',
      type: 'string',
      cell: (o) =>
        Object.entries(objectField(o, 'status', 'hard'))
          .map(([k, v]) => `${k}: ${String(objectField(o, 'status', 'used')[k] ?? '0')}/${String(v)}`)
          .join(', '),
    },
  ],
};

function rowObject(o: KubeObject, include: string | null): unknown {
  if (include === 'Object') return o;
  if (include === 'None') return undefined;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** The server-side printing kubectl asks for with `Accept: application/json;as=Table;g=meta.k8s.io;v=v1`. */
export function toTable(
  kind: string,
  items: KubeObject[],
  resourceVersion: string,
  include: string | null,
  withColumns = true,
): unknown {
  const columns = columnsByKind[kind] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withColumns
      ? columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: c.name,
          priority: c.priority ?? 0,
        }))
      : [],
    rows: items.map((o) => ({ cells: columns.map((c) => c.cell(o)), object: rowObject(o, include) })),
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0]?.includes('as=Table') === true;
}
