import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateRollout } from './evaluate-rollout.ts';

const revision = (n: number) => ({ 'deployment.kubernetes.io/revision': String(n) });

function deployment(status: NonNullable<V1Deployment['status']>, rev = 2): V1Deployment {
  return {
    metadata: { name: 'web', generation: 2, annotations: revision(rev) },
    spec: { replicas: 1, selector: {}, template: {} },
    status,
  };
}

function replicaSet(name: string, rev: number): V1ReplicaSet {
  return {
    metadata: {
      name,
      annotations: revision(rev),
      ownerReferences: [{ kind: 'Deployment', name: 'web', apiVersion: 'apps/v1', uid: 'u' }],
    },
  };
}

function pod(name: string, rs: string, waiting?: string): V1Pod {
  return {
    metadata: { name, ownerReferences: [{ kind: 'ReplicaSet', name: rs, apiVersion: 'apps/v1', uid: 'u' }] },
    status: {
      containerStatuses: [
        {
          name: 'app',
          image: 'i',
          imageID: '',
          ready: waiting === undefined,
          restartCount: 0,
          state:
            waiting === undefined ? { running: {} } : { waiting: { reason: waiting, message: 'back-off' } },
        },
      ],
    },
  };
}

const available = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };

describe('evaluateRollout', () => {
  it('is ready when every deployment has its updated replicas available and old ones gone', () => {
    expect(
      evaluateRollout({ deployments: [deployment(available)], statefulSets: [], replicaSets: [], pods: [] }),
    ).toEqual({ kind: 'ready' });
    const surging = evaluateRollout({
      deployments: [deployment({ ...available, replicas: 2 })],
      statefulSets: [],
      replicaSets: [],
      pods: [],
    });
    expect(surging.kind).toBe('waiting');
    const stale = evaluateRollout({
      deployments: [deployment({ ...available, observedGeneration: 1 })],
      statefulSets: [],
      replicaSets: [],
      pods: [],
    });
    expect(stale.kind).toBe('waiting');
  });

  it('fails on a crash-looping pod of the current revision, naming pod and container', () => {
    const verdict = evaluateRollout({
      deployments: [deployment({ observedGeneration: 2, replicas: 1 })],
      statefulSets: [],
      replicaSets: [replicaSet('web-new', 2)],
      pods: [pod('web-new-a', 'web-new', 'CrashLoopBackOff')],
    });
    expect(verdict).toMatchObject({
      kind: 'failed',
      reason: 'CrashLoopBackOff',
      pod: 'web-new-a',
      container: 'app',
    });
  });

  it('ignores a failing pod of a replaced ReplicaSet', () => {
    const verdict = evaluateRollout({
      deployments: [deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1 })],
      statefulSets: [],
      replicaSets: [replicaSet('web-old', 1), replicaSet('web-new', 2)],
      pods: [pod('web-old-a', 'web-old', 'CrashLoopBackOff'), pod('web-new-a', 'web-new')],
    });
    expect(verdict.kind).toBe('waiting');
  });

  it('takes every pod as current when no ReplicaSets are watched (a namespace the deploy created)', () => {
    const verdict = evaluateRollout({
      deployments: [deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 1 }, 1)],
      statefulSets: [],
      replicaSets: undefined,
      pods: [pod('web-a', 'web-1', 'ImagePullBackOff')],
    });
    expect(verdict).toMatchObject({ kind: 'failed', reason: 'ImagePullBackOff', pod: 'web-a' });
  });

  it('fails on ProgressDeadlineExceeded and on a ReplicaFailure such as an exceeded quota', () => {
    const deadline = deployment({
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'took too long',
        },
      ],
    });
    expect(
      evaluateRollout({ deployments: [deadline], statefulSets: [], replicaSets: [], pods: [] }),
    ).toMatchObject({ kind: 'failed', reason: 'ProgressDeadlineExceeded' });
    const quota = deployment({
      conditions: [
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' },
      ],
    });
    expect(
      evaluateRollout({ deployments: [quota], statefulSets: [], replicaSets: [], pods: [] }),
    ).toMatchObject({ kind: 'failed', reason: 'FailedCreate' });
  });
});
