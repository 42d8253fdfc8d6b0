import { accessSync, constants, readFileSync } from 'node:fs';
import type { Sandbox } from './choose-sandbox.ts';
import { findProgram } from './find-program.ts';
import type { ResourceCaps } from './preview-limits.ts';

/** The server's caps for previews and the `prlimit` that enforces them (undefined: not installed). */
export interface LimitSetup {
  caps: ResourceCaps;
  prlimit: string | undefined;
}

export function detectLimits(local: { searchPath: string; maxResources: ResourceCaps }): LimitSetup {
  return { caps: local.maxResources, prlimit: findProgram(local.searchPath, 'prlimit') };
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
  if (prlimit === undefined) {
    return {
      enforced: [],
      notEnforced: [
        'memory and process limits: prlimit is not installed (Debian and Ubuntu: apt-get install util-linux)',
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
  notEnforced.push('CPU time and disk space');
  return { enforced, notEnforced };
}
