import type {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  V1Deployment,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import { RuntimeFailure } from '../runtime.ts';
import { evaluateRollout, type RolloutVerdict } from './evaluate-rollout.ts';
import type { KubernetesTiming } from './kubernetes-runtime-options.ts';
import { translateKubeError } from './translate-kube-error.ts';
import { type ListedObject, WatchedList } from './watched-list.ts';

export interface WaitForRolloutInput {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  namespace: string;
  timeoutMs: number;
  /** The whole deploy timeout, for the message. */
  deployTimeoutMs: number;
  timing: KubernetesTiming;
  logExcerptLines: number;
  /** Whether the preview holds a StatefulSet; without one none is listed or watched (two requests fewer). */
  watchStatefulSets: boolean;
  /**
   * Whether pods of older ReplicaSets may be there (a redeploy); without them every pod belongs to the new revision,
   * and no ReplicaSet is listed or watched (two requests fewer).
   */
  watchReplicaSets: boolean;
  signal: AbortSignal;
  log: Logger | undefined;
  metrics?: GlimpseMetrics | undefined;
}

/**
 * Waits, with the watch API, until every Deployment (and StatefulSet, if asked) of the namespace is available. Rejects with a
 * permanent RuntimeFailure (reason and the failing container's last log lines) as soon as the rollout fails, or when
 * the timeout passes; rejects promptly when `signal` aborts.
 */
export async function waitForRollout(input: WaitForRolloutInput): Promise<void> {
  const { kc, core, apps, namespace } = input;
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, input.signal]);
  let settle: ((verdict: RolloutVerdict | Error) => void) | undefined;
  const settled = new Promise<RolloutVerdict | Error>((resolve) => {
    settle = resolve;
  });
  let lists: Record<'deployments' | 'pods', WatchedList<ListedObject>> & {
    statefulSets?: WatchedList<ListedObject>;
    replicaSets?: WatchedList<ListedObject>;
  };
  let started = false;
  const evaluate = () => {
    if (!started) return;
    const verdict = evaluateRollout({
      deployments: lists.deployments.values() as V1Deployment[],
      statefulSets: (lists.statefulSets?.values() ?? []) as V1StatefulSet[],
      replicaSets: lists.replicaSets?.values() as V1ReplicaSet[] | undefined,
      pods: lists.pods.values() as V1Pod[],
    });
    if (verdict.kind !== 'waiting') settle?.(verdict);
    else lastWaiting = verdict.detail;
  };
  let lastWaiting = 'waiting for the workloads';
  const abort = () =>
    settle?.(
      new RuntimeFailure(`deploy of ${namespace} was cancelled`, {
        transient: true,
        cause: input.signal.reason,
      }),
    );
  const timer = setTimeout(
    () =>
      settle?.(
        new RuntimeFailure(
          `rollout in ${namespace} did not finish within the deploy timeout (${Math.round(input.deployTimeoutMs / 1000)} s): ${lastWaiting}`,
          { transient: false },
        ),
      ),
    input.timeoutMs,
  );
  input.signal.addEventListener('abort', abort, { once: true });
  if (input.signal.aborted) abort();
  try {
    const watched = (
      prefix: string,
      plural: string,
      list: () => Promise<{ metadata?: { resourceVersion?: string }; items: ListedObject[] }>,
      listFirst = true,
    ) =>
      new WatchedList<ListedObject>({
        kc,
        path: `${prefix}/namespaces/${namespace}/${plural}`,
        listFirst,
        list: async () => {
          const result = await list();
          return { resourceVersion: result.metadata?.resourceVersion, items: result.items };
        },
        onChange: evaluate,
        signal,
        pollIntervalMs: input.timing.pollIntervalMs,
        watchTimeoutSeconds: input.timing.watchTimeoutSeconds,
        log: input.log,
        metrics: input.metrics,
      });
    lists = {
      deployments: watched('/apis/apps/v1', 'deployments', () =>
        apps.listNamespacedDeployment({ namespace }),
      ),
      ...(input.watchReplicaSets
        ? {
            replicaSets: watched('/apis/apps/v1', 'replicasets', () =>
              apps.listNamespacedReplicaSet({ namespace }),
            ),
          }
        : {}),
      // Pods only tell a failing container; the verdict waits for the workloads' own lists, so pods need none.
      pods: watched('/api/v1', 'pods', () => core.listNamespacedPod({ namespace }), false),
      ...(input.watchStatefulSets
        ? {
            statefulSets: watched('/apis/apps/v1', 'statefulsets', () =>
              apps.listNamespacedStatefulSet({ namespace }),
            ),
          }
        : {}),
    };
    void Promise.all(Object.values(lists).map((l) => l.start())).then(
      () => {
        started = true;
        evaluate();
      },
      (error: unknown) => settle?.(translateKubeError(error, `watching the rollout in ${namespace}`)),
    );
    const outcome = await settled;
    if (outcome instanceof Error) throw outcome;
    if (outcome.kind === 'failed') {
      const excerpt = await logExcerpt(core, namespace, outcome, input.logExcerptLines);
      throw new RuntimeFailure(`rollout failed: ${outcome.message}`, {
        transient: false,
        logExcerpt: excerpt,
      });
    }
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', abort);
    stop.abort();
  }
}

/** The failing container's last log lines (its previous run's when the current one has none), else the reason. */
async function logExcerpt(
  core: CoreV1Api,
  namespace: string,
  failure: Extract<RolloutVerdict, { kind: 'failed' }>,
  lines: number,
): Promise<string[]> {
  if (failure.pod === undefined || failure.container === undefined) return [failure.message];
  for (const previous of [false, true]) {
    try {
      const text = await core.readNamespacedPodLog({
        name: failure.pod,
        namespace,
        container: failure.container,
        tailLines: lines,
        previous,
      });
      const split = text.split('\n').filter((l) => l !== '');
      if (split.length > 0) return split.slice(-lines);
    } catch {
      // No logs (image never pulled, or no previous container): fall through.
    }
  }
  return [failure.message];
}
