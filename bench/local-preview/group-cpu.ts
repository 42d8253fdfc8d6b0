import { groupMembers } from '../../src/runtimes/local/process-group.ts';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) the live members of a process group have used so far, in microseconds. */
export function groupCpuMicros(pgid: number): number {
  return (
    groupMembers(pgid).reduce((sum, member) => sum + member.cpuTicks, 0) * (1_000_000 / TICKS_PER_SECOND)
  );
}
