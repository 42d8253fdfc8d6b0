import type { ProcessGroup } from './preview-state.ts';
import { groupMembers, isSameProcess, readProcStat, stopGroup } from './process-group.ts';

/**
 * Stops process groups a previous Glimpse process left behind (after a crash or SIGKILL the
 * detached previews live on). A group is only signalled when its leader is still the process
 * Glimpse started (same start time), or when the leader is gone but members of its group remain;
 * a pid that was reused by an unrelated process is left alone. Returns how many were stopped.
 */
export async function stopOrphans(groups: ProcessGroup[], graceMs: number): Promise<number> {
  const ours = groups.filter((group) => {
    if (isSameProcess(group.pid, group.startTime)) return true;
    const leader = readProcStat(group.pid);
    return leader === undefined && groupMembers(group.pid).length > 0;
  });
  await Promise.all(ours.map((group) => stopGroup(group.pid, graceMs)));
  return ours.length;
}
