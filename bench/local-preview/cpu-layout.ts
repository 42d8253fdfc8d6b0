import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { findProgram } from '../../src/runtimes/local/find-program.ts';
import { groupMembers } from '../../src/runtimes/local/process-group.ts';

/**
 * Which CPUs the load generator, the app and the hop between them (proxy, relay or nginx) run on. Left to
 * the scheduler, three busy processes on two cores share them differently in every round: the same path
 * measured 0.6 and 1.0 of another in consecutive rounds. Pinned, the load generator has a core of its own and
 * a path's throughput is set by what the app and the hop cost.
 */
export interface CpuLayout {
  load: string;
  app: string;
  hop: string;
  taskset: string;
}

/** Undefined on a single core or without `taskset` (util-linux): then nothing is pinned. */
export function chooseCpuLayout(cpus = availableParallelism()): CpuLayout | undefined {
  const taskset = findProgram(process.env.PATH ?? '', 'taskset');
  if (taskset === undefined || cpus < 2) return undefined;
  if (cpus === 2) return { load: '0', app: '1', hop: '1', taskset };
  return { load: '0', app: '1', hop: '2', taskset };
}

export function describeCpuLayout(layout: CpuLayout | undefined): string {
  if (layout === undefined) return 'not pinned to CPUs (one core, or no taskset)';
  const shared = layout.app === layout.hop ? ', sharing it' : '';
  return `load generator on CPU ${layout.load}, app on CPU ${layout.app}, proxy/relay/nginx on CPU ${layout.hop}${shared}`;
}

/** Pins every thread of `pid` to `cpus`. */
export function pinProcess(layout: CpuLayout, pid: number, cpus: string): void {
  execFileSync(layout.taskset, ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], {
    stdio: 'ignore',
  });
}

/** Pins every member of a process group (a sandbox and its app, nginx's master and worker). */
export function pinGroup(layout: CpuLayout, pgid: number, cpus: string): void {
  for (const member of groupMembers(pgid)) pinProcess(layout, member.pid, cpus);
}
