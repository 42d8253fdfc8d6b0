import {
  type AppsV1Api,
  type CoreV1Api,
  type KubeConfig,
  Metrics,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseQuantity } from '../../domain/quantity.ts';
import type { Observed, ObservedWorkload } from '../runtime.ts';
import { APPLIED_RECORD, type ObjectRef, readAppliedRecord } from './apply-objects.ts';
import { recordedWorkloads } from './find-vanished-environments.ts';
import { apiStatusCode, translateKubeError } from './translate-kube-error.ts';

/**
 * Pods of the namespace with phase, readiness and restarts, CPU and memory use when metrics.k8s.io answers, and
 * the Deployments and StatefulSets the last deploy applied that are gone.
 */
export async function inspectEnvironment(
  kc: KubeConfig,
  api: { core: CoreV1Api; apps: AppsV1Api },
  namespace: string,
): Promise<Observed> {
  let pods: V1Pod[];
  let missing: string[];
  try {
    await api.core.readNamespace({ name: namespace });
    [pods, missing] = await Promise.all([
      api.core.listNamespacedPod({ namespace }).then((list) => list.items),
      missingWorkloads(api, namespace),
    ]);
  } catch (error) {
    if (apiStatusCode(error) === 404) return { exists: false, workloads: [] };
    throw translateKubeError(error, `inspecting ${namespace}`);
  }
  const workloads = pods.map(describePod);
  try {
    const metrics = await new Metrics(kc).getPodMetrics(namespace);
    for (const item of metrics.items) {
      const workload = workloads.find((w) => w.name === item.metadata.name);
      if (workload === undefined) continue;
      let cpu = 0;
      let memory = 0;
      for (const c of item.containers) {
        cpu += parseQuantity(c.usage.cpu) ?? 0;
        memory += parseQuantity(c.usage.memory) ?? 0;
      }
      workload.cpuMillicores = Math.round(cpu * 1000);
      workload.memoryBytes = Math.round(memory);
    }
    return { exists: true, workloads, missing };
  } catch (error) {
    const status = statusOf(error);
    const reason =
      status === 404 || status === 503
        ? 'the cluster does not serve metrics.k8s.io (install metrics-server)'
        : `reading metrics.k8s.io failed${status === undefined ? '' : ` (HTTP ${status})`}`;
    return { exists: true, workloads, missing, usageUnavailableReason: reason };
  }
}

async function missingWorkloads(
  api: { core: CoreV1Api; apps: AppsV1Api },
  namespace: string,
): Promise<string[]> {
  const record = await readAppliedRecord(api.core, namespace);
  if (record === undefined) return [`ConfigMap/${APPLIED_RECORD}`];
  const workloads = recordedWorkloads(record);
  const gone = await Promise.all(workloads.map((ref) => workloadGone(api.apps, namespace, ref)));
  return workloads.filter((_, i) => gone[i]).map((ref) => `${ref.kind}/${ref.name}`);
}

async function workloadGone(apps: AppsV1Api, namespace: string, ref: ObjectRef): Promise<boolean> {
  try {
    const name = ref.name;
    await (ref.kind === 'Deployment'
      ? apps.readNamespacedDeployment({ name, namespace })
      : apps.readNamespacedStatefulSet({ name, namespace }));
    return false;
  } catch (error) {
    if (apiStatusCode(error) === 404) return true;
    throw error;
  }
}

function describePod(pod: V1Pod): ObservedWorkload {
  const statuses = pod.status?.containerStatuses ?? [];
  const waiting = statuses.find((s) => s.state?.waiting?.reason !== undefined)?.state?.waiting?.reason;
  const start = pod.status?.startTime;
  return {
    name: pod.metadata?.name ?? '',
    phase: waiting ?? pod.status?.phase ?? 'Unknown',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: statuses.reduce((sum, s) => sum + s.restartCount, 0),
    startedAt: start === undefined ? undefined : new Date(start),
  };
}

function statusOf(error: unknown): number | undefined {
  const code = apiStatusCode(error);
  if (code !== undefined) return code;
  const e = error as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.code === 'number' ? e.code : undefined;
}
