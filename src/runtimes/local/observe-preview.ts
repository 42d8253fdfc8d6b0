import type { Observed, ObservedWorkload } from '../runtime.ts';
import type { PreviewRecord } from './preview-record.ts';
import { groupUsage } from './process-usage.ts';

/**
 * What `inspect` reports: the serving deployment (or the first one still being built) as one
 * workload `app`, with its process group's CPU and memory. `exists` is false when the runtime
 * holds no deployment, e.g. after a Glimpse restart or a failed first deploy.
 */
export async function observePreview(
  preview: PreviewRecord | undefined,
  cpuSampleMs: number,
): Promise<Observed> {
  const deployment = preview?.serving ?? preview?.starting;
  if (preview === undefined || deployment === undefined) return { exists: false, workloads: [] };
  const serving = deployment === preview.serving;
  const supervisor = deployment.supervisor;
  const phase = serving ? (supervisor?.state ?? 'starting') : 'building';
  const workload: ObservedWorkload = {
    name: 'app',
    phase,
    ready: serving && phase === 'running',
    restarts: supervisor?.restarts ?? 0,
    startedAt: supervisor?.startedAt,
  };
  if (serving && preview.failure !== undefined) workload.message = preview.failure.message;
  const pid = supervisor?.pid;
  if (pid === undefined) {
    return { exists: true, workloads: [workload], usageUnavailableReason: 'the app process is not running' };
  }
  workload.pid = pid;
  const usage = await groupUsage(pid, cpuSampleMs);
  if ('unavailable' in usage)
    return { exists: true, workloads: [workload], usageUnavailableReason: usage.unavailable };
  workload.cpuMillicores = usage.cpuMillicores;
  workload.memoryBytes = usage.memoryBytes;
  return { exists: true, workloads: [workload] };
}
