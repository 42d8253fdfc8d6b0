import { accessSync, constants, readFileSync } from 'node:fs';
import type { Sandbox } from './choose-sandbox.ts';
import { findProgram } from './find-program.ts';
import type { ResourceCaps } from './preview-limits.ts';

/**
 * The server's caps for previews and the `prlimit` that enforces them, and the `chrt` that runs previews
 * as batch work (GLIMPSE_LOCAL_SCHEDULING=batch); each undefined when not installed, `chrt` also when
 * previews are scheduled as any other process.
 */
export interface LimitSetup {
  caps: ResourceCaps;
  prlimit: string | undefined;
  scheduling: 'batch' | 'normal';
  chrt: string | undefined;
}

export function detectLimits(local: {
  searchPath: string;
  maxResources: ResourceCaps;
  scheduling: 'batch' | 'normal';
}): LimitSetup {
  return {
    caps: local.maxResources,
    prlimit: findProgram(local.searchPath, 'prlimit'),
    scheduling: local.scheduling,
    chrt: local.scheduling === 'batch' ? findProgram(local.searchPath, 'chrt') : undefined,
  };
}

/**
 * True when this process may manage cgroup v2 controllers for memory and processes below its own cgroup
 * (a delegated subtree). Glimpse does not use them yet; `glimpse doctor` says so.
 */
export function cgroupV2Delegated(): boolean {
  try {
    const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/);
    const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    if (own === undefined || !controllers.includes('memory') || !controllers.includes('pids')) return false;
    accessSync(`/sys/fs/cgroup${own}`, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** What the per-preview limits hold to on this machine, and what they cannot, in words. */
export function describeLimits(
  sandbox: Sandbox,
  setup: LimitSetup,
  cgroups: boolean,
): { enforced: string[]; notEnforced: string[] } {
  const { caps, prlimit } = setup;
  const total = cgroups
    ? "a preview's total memory (cgroup v2 is delegated here, but Glimpse does not use it yet)"
    : "a preview's total memory (no cgroup v2 delegation here)";
  const cpu = describeScheduling(setup);
  if (prlimit === undefined) {
    return {
      enforced: cpu.enforced,
      notEnforced: [
        'memory and process limits: prlimit is not installed (Debian and Ubuntu: apt-get install util-linux)',
        ...cpu.notEnforced,
      ],
    };
  }
  const ownUid = sandbox.mode !== 'none' && sandbox.uids !== undefined;
  const enforced = [`memory: at most ${caps.memory} of address space per process (RLIMIT_AS)`];
  const notEnforced = [total];
  if (ownUid) {
    enforced.push(
      `processes: at most ${caps.processes} processes and threads per preview (RLIMIT_NPROC on its uid)`,
    );
  } else {
    notEnforced.push(
      "process count: RLIMIT_NPROC counts every process of a uid, and previews share Glimpse's (run Glimpse as root to give each preview a uid of its own)",
    );
  }
  notEnforced.push(...cpu.notEnforced, 'CPU time and disk space');
  return { enforced: [...enforced, ...cpu.enforced], notEnforced };
}

function describeScheduling(setup: LimitSetup): { enforced: string[]; notEnforced: string[] } {
  if (setup.chrt !== undefined) {
    return {
      enforced: [
        'CPU scheduling: previews run as batch work (SCHED_BATCH), with their share of the CPU but without preempting Glimpse when they wake',
      ],
      notEnforced: [],
    };
  }
  const why =
    setup.scheduling === 'normal'
      ? 'GLIMPSE_LOCAL_SCHEDULING=normal'
      : 'chrt is not installed (Debian and Ubuntu: apt-get install util-linux)';
  return {
    enforced: [],
    notEnforced: [`CPU scheduling: previews preempt Glimpse like any process (${why})`],
  };
}
