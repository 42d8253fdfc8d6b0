import type { V1Deployment, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';

export type RolloutVerdict =
  | { kind: 'ready' }
  | { kind: 'waiting'; detail: string }
  | { kind: 'failed'; reason: string; message: string; pod?: string; container?: string };

export interface RolloutState {
  deployments: V1Deployment[];
  statefulSets: V1StatefulSet[];
  /** Undefined when no older revision can be there: every pod is current. */
  replicaSets: V1ReplicaSet[] | undefined;
  pods: V1Pod[];
}

/** Container states that mean the preview will not start without a new commit or config. */
export const FAILING_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
]);

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * Whether every Deployment and StatefulSet is available (like `kubectl rollout status`), or which one failed:
 * ProgressDeadlineExceeded, a ReplicaFailure (such as an exceeded quota), or a current pod whose container is
 * crash-looping or cannot pull its image. Pods of replaced ReplicaSets are ignored.
 */
export function evaluateRollout(state: RolloutState): RolloutVerdict {
  const failedPod = failingPod(currentPods(state));
  if (failedPod !== undefined) return failedPod;
  const waiting: string[] = [];
  for (const d of state.deployments) {
    const name = d.metadata?.name ?? '';
    const conditions = d.status?.conditions ?? [];
    const progressing = conditions.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return {
        kind: 'failed',
        reason: 'ProgressDeadlineExceeded',
        message: `deployment ${name}: ${progressing.message ?? ''}`,
      };
    }
    const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (replicaFailure !== undefined) {
      return {
        kind: 'failed',
        reason: replicaFailure.reason ?? 'ReplicaFailure',
        message: `deployment ${name}: ${replicaFailure.message ?? ''}`,
      };
    }
    const wanted = d.spec?.replicas ?? 1;
    const s = d.status;
    const observed = (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
    if (!observed || (s?.updatedReplicas ?? 0) < wanted) waiting.push(`deployment ${name}: updating`);
    else if ((s?.replicas ?? 0) > wanted) waiting.push(`deployment ${name}: old replicas terminating`);
    else if ((s?.availableReplicas ?? 0) < wanted)
      waiting.push(`deployment ${name}: ${s?.availableReplicas ?? 0} of ${wanted} available`);
  }
  for (const st of state.statefulSets) {
    const name = st.metadata?.name ?? '';
    const wanted = st.spec?.replicas ?? 1;
    const s = st.status;
    const observed = (s?.observedGeneration ?? 0) >= (st.metadata?.generation ?? 0);
    const updated =
      s?.updateRevision === undefined ||
      s.currentRevision === s.updateRevision ||
      (s.updatedReplicas ?? 0) >= wanted;
    if (!observed || !updated || (s?.readyReplicas ?? 0) < wanted) {
      waiting.push(`statefulset ${name}: ${s?.readyReplicas ?? 0} of ${wanted} ready`);
    }
  }
  return waiting.length === 0 ? { kind: 'ready' } : { kind: 'waiting', detail: waiting.join('; ') };
}

/** Pods that belong to the current revision of their workload (or to no Deployment at all). */
function currentPods(state: RolloutState): V1Pod[] {
  const currentRs = new Set<string>();
  const oldRs = new Set<string>();
  for (const rs of state.replicaSets ?? []) {
    const owner = rs.metadata?.ownerReferences?.find((o) => o.kind === 'Deployment');
    const name = rs.metadata?.name ?? '';
    if (owner === undefined) {
      currentRs.add(name);
      continue;
    }
    const deployment = state.deployments.find((d) => d.metadata?.name === owner.name);
    const revision = deployment?.metadata?.annotations?.[REVISION];
    if (revision !== undefined && rs.metadata?.annotations?.[REVISION] === revision) currentRs.add(name);
    else oldRs.add(name);
  }
  return state.pods.filter((pod) => {
    if (pod.metadata?.deletionTimestamp !== undefined) return false;
    const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet');
    if (owner === undefined || state.replicaSets === undefined) return true;
    return currentRs.has(owner.name) && !oldRs.has(owner.name);
  });
}

function failingPod(pods: V1Pod[]): RolloutVerdict | undefined {
  for (const pod of pods) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const cs of statuses) {
      const waiting = cs.state?.waiting;
      if (waiting?.reason !== undefined && FAILING_REASONS.has(waiting.reason)) {
        return {
          kind: 'failed',
          reason: waiting.reason,
          message: `pod ${pod.metadata?.name ?? ''} container ${cs.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`,
          pod: pod.metadata?.name ?? '',
          container: cs.name,
        };
      }
    }
  }
  return undefined;
}
