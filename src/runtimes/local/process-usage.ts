import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { groupMembers } from './process-group.ts';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

export type GroupUsage = { cpuMillicores: number; memoryBytes: number } | { unavailable: string };

/**
 * CPU and resident memory of a whole process group (the shell, npm, node ...), from
 * /proc/<pid>/stat and /proc/<pid>/status. CPU is measured over `sampleMs`.
 */
export async function groupUsage(pgid: number, sampleMs: number): Promise<GroupUsage> {
  const before = groupMembers(pgid);
  if (before.length === 0) return { unavailable: 'the process is not running or /proc is not available' };
  const startedAt = performance.now();
  await delay(sampleMs);
  const after = groupMembers(pgid);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const previous = new Map(before.map((p) => [`${p.pid}:${p.startTime}`, p.cpuTicks]));
  let ticks = 0;
  let memoryBytes = 0;
  for (const member of after) {
    ticks += member.cpuTicks - (previous.get(`${member.pid}:${member.startTime}`) ?? member.cpuTicks);
    memoryBytes += residentBytes(member.pid);
  }
  const cpuMillicores = Math.round(((ticks / CLOCK_TICKS_PER_SECOND) * 1000) / elapsedSeconds);
  return { cpuMillicores: Math.max(0, cpuMillicores), memoryBytes };
}

/** VmRSS from /proc/<pid>/status, in kB whatever the kernel's page size (statm counts pages). */
function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
