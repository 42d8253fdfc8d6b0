import type { KubeApi } from './api-core.ts';
import {
  conditionList,
  controllerRef,
  isActive,
  sameStatus,
  setCondition,
  templateHash,
} from './controller-util.ts';
import { recordEvent } from './events.ts';
import {
  clone,
  field,
  type JsonObject,
  type KubeObject,
  numberField,
  objectField,
  stringField,
} from './kube-object.ts';
import { replicaSetsOf } from './replicaset-controller.ts';
import { mustType } from './resource-types.ts';

const deployType = mustType('apps', 'deployments');
const rsType = mustType('apps', 'replicasets');
const revisionKey = 'deployment.kubernetes.io/revision';

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[revisionKey] ?? 0);
}

function scale(api: KubeApi, d: KubeObject, rs: KubeObject, replicas: number): void {
  const from = numberField(rs, 'spec', 'replicas') ?? 0;
  if (from === replicas) return;
  const current = api.store.get(rsType, rs.metadata.namespace, rs.metadata.name);
  if (current === undefined) return;
  (current.spec as JsonObject).replicas = replicas;
  current.metadata.generation = (current.metadata.generation ?? 1) + 1;
  current.metadata.annotations = {
    ...current.metadata.annotations,
    'deployment.kubernetes.io/desired-replicas': String(numberField(d, 'spec', 'replicas') ?? 1),
  };
  api.store.replace(rsType, current);
  const verb = replicas > from ? 'up' : 'down';
  recordEvent(
    api.store,
    d,
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
    'deployment-controller',
  );
}

/**
 * Rolls Deployments out: one ReplicaSet per pod-template hash, the new one scaled to spec.replicas,
 * old ones scaled to 0 once the new one is available (at once for Recreate), and status with
 * Available and Progressing conditions, ProgressDeadlineExceeded included.
 */
/** Pod-template hashes by Deployment uid, recomputed only when the Deployment's generation (its spec) changes. */
const templateHashes = new Map<string, { generation: number; hash: string }>();

function cachedTemplateHash(d: KubeObject, template: unknown): string {
  const generation = d.metadata.generation ?? 0;
  const cached = templateHashes.get(d.metadata.uid);
  if (cached?.generation === generation && generation > 0) return cached.hash;
  const hash = templateHash(template);
  templateHashes.set(d.metadata.uid, { generation, hash });
  return hash;
}

export function syncDeployments(api: KubeApi): void {
  const store = api.store;
  for (const d of store.scan(deployType)) {
    if (!isActive(d)) continue;
    const ns = d.metadata.namespace;
    const desired = numberField(d, 'spec', 'replicas') ?? 1;
    const template = objectField(d, 'spec', 'template');
    const hash = cachedTemplateHash(d, template);
    const owned = replicaSetsOf(api, d).filter(isActive);
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const old = owned.filter((rs) => rs !== newRs);
    const recreate = stringField(d, 'spec', 'strategy', 'type') === 'Recreate';
    const paused = field(d, 'spec', 'paused') === true;
    let created = false;
    if (newRs === undefined && !paused) {
      const revision = Math.max(0, ...owned.map(revisionOf)) + 1;
      const labels = {
        ...(objectField(template, 'metadata', 'labels') as Record<string, string>),
        'pod-template-hash': hash,
      };
      const selector = clone(objectField(d, 'spec', 'selector'));
      selector.matchLabels = {
        ...(objectField(selector, 'matchLabels') as Record<string, string>),
        'pod-template-hash': hash,
      };
      const oldPods = old.reduce((n, rs) => n + (numberField(rs, 'status', 'replicas') ?? 0), 0);
      const replicas = recreate && oldPods > 0 ? 0 : desired;
      newRs = api.create(
        rsType,
        ns,
        {
          metadata: {
            name: `${d.metadata.name}-${hash}`,
            labels,
            annotations: {
              [revisionKey]: String(revision),
              'deployment.kubernetes.io/desired-replicas': String(desired),
              'deployment.kubernetes.io/max-replicas': String(desired + 1),
            },
            ownerReferences: [controllerRef(d)],
          },
          spec: {
            replicas,
            minReadySeconds: numberField(d, 'spec', 'minReadySeconds') ?? 0,
            selector,
            template: { ...template, metadata: { ...objectField(template, 'metadata'), labels } },
          },
        },
        { manager: 'kube-controller-manager' },
      );
      created = true;
      if (replicas > 0)
        recordEvent(
          store,
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${newRs.metadata.name} from 0 to ${replicas}`,
          'deployment-controller',
        );
      const current = store.get(deployType, ns, d.metadata.name);
      if (current !== undefined) {
        current.metadata.annotations = { ...current.metadata.annotations, [revisionKey]: String(revision) };
        store.replace(deployType, current);
      }
    } else if (newRs !== undefined && !paused) {
      const oldPods = old.reduce((n, rs) => n + (numberField(rs, 'status', 'replicas') ?? 0), 0);
      if (!recreate || oldPods === 0) scale(api, d, newRs, desired);
    }
    const newAvailable = numberField(newRs, 'status', 'availableReplicas') ?? 0;
    if (!paused && (recreate || newAvailable >= desired)) for (const rs of old) scale(api, d, rs, 0);
    writeStatus(api, d, newRs, created);
  }
}

function writeStatus(api: KubeApi, d: KubeObject, newRs: KubeObject | undefined, created: boolean): void {
  const store = api.store;
  const current = store.peek(deployType, d.metadata.namespace, d.metadata.name);
  if (current === undefined) return;
  const all = replicaSetsOf(api, current);
  const fresh = newRs === undefined ? undefined : all.find((rs) => rs.metadata.uid === newRs.metadata.uid);
  const sum = (f: string): number => all.reduce((n, rs) => n + (numberField(rs, 'status', f) ?? 0), 0);
  const desired = numberField(current, 'spec', 'replicas') ?? 1;
  const replicas = sum('replicas');
  const updated = numberField(fresh, 'status', 'replicas') ?? 0;
  const available = sum('availableReplicas');
  const newAvailable = numberField(fresh, 'status', 'availableReplicas') ?? 0;
  const previous = objectField(current, 'status');
  const progressed =
    (previous.updatedReplicas ?? 0) !== updated ||
    (previous.availableReplicas ?? 0) !== available ||
    (previous.replicas ?? 0) !== replicas;
  const maxUnavailable = Math.floor(desired * 0.25);
  const rsName = fresh?.metadata.name ?? '';
  let conditions = conditionList(previous);
  conditions = setCondition(
    conditions,
    'Available',
    available >= desired - maxUnavailable ? 'True' : 'False',
    available >= desired - maxUnavailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
    available >= desired - maxUnavailable
      ? 'Deployment has minimum availability.'
      : 'Deployment does not have minimum availability.',
    false,
  );
  const complete = updated === desired && newAvailable === desired && replicas === desired;
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const deadline = numberField(current, 'spec', 'progressDeadlineSeconds') ?? 600;
  const lastUpdate =
    typeof progressing?.lastUpdateTime === 'string' ? Date.parse(progressing.lastUpdateTime) : Date.now();
  if (complete) {
    conditions = setCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
      false,
    );
  } else if (created || progressing === undefined) {
    conditions = setCondition(
      conditions,
      'Progressing',
      'True',
      'NewReplicaSetCreated',
      `Created new replica set "${rsName}"`,
      true,
    );
  } else if (
    progressed &&
    !(progressing.reason === 'ProgressDeadlineExceeded' && progressing.message?.toString().includes(rsName))
  ) {
    conditions = setCondition(
      conditions,
      'Progressing',
      'True',
      'ReplicaSetUpdated',
      `ReplicaSet "${rsName}" is progressing.`,
      true,
    );
  } else if (progressing.reason !== 'ProgressDeadlineExceeded' && Date.now() - lastUpdate > deadline * 1000) {
    conditions = setCondition(
      conditions,
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rsName}" has timed out progressing.`,
      true,
    );
  }
  const failure = conditionList(fresh?.status).find((c) => c.type === 'ReplicaFailure');
  conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  if (failure !== undefined) conditions.push(failure);
  const status: JsonObject = {
    observedGeneration: current.metadata.generation ?? 1,
    replicas,
    updatedReplicas: updated,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    conditions: conditions.sort((a, b) => String(a.type).localeCompare(String(b.type))),
  };
  if (replicas - available > 0) status.unavailableReplicas = replicas - available;
  for (const key of ['readyReplicas', 'availableReplicas', 'updatedReplicas', 'replicas'] as const) {
    if (status[key] === 0) delete status[key];
  }
  if (sameStatus(current.status, status)) return;
  const copy = store.get(deployType, current.metadata.namespace, current.metadata.name);
  if (copy === undefined) return;
  copy.status = status;
  store.replace(deployType, copy);
}
