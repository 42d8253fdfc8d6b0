import type { GlimpseConfig } from '../../domain/glimpse-config.ts';
import { parseQuantity } from '../../domain/quantity.ts';
import { RuntimeFailure } from '../runtime.ts';

/** The most a preview may ask for in `local.resources` (GLIMPSE_LOCAL_MAX_MEMORY, GLIMPSE_LOCAL_MAX_PROCESSES). */
export interface ResourceCaps {
  memory: string;
  processes: number;
}

/** What one preview gets: its `.glimpse.yml` `local.resources`, the caps where it asks for nothing. */
export interface PreviewLimits {
  memory: string;
  memoryBytes: number;
  processes: number;
}

/** The rlimits one preview's commands run under, set by `prlimit` around them. */
export interface ProcessLimits {
  prlimit: string;
  /** RLIMIT_AS, per process. */
  memoryBytes: number;
  memory: string;
  /** RLIMIT_NPROC: counted per uid, so only set when the preview has a uid of its own. */
  processes: number | undefined;
}

/** Asking for more than a cap fails the deployment at once, saying which. */
export function resolvePreviewLimits(config: GlimpseConfig, caps: ResourceCaps): PreviewLimits {
  const asked = config.local?.resources;
  const memory = asked?.memory ?? caps.memory;
  const memoryBytes = parseQuantity(memory) ?? Number.NaN;
  const maxBytes = parseQuantity(caps.memory) ?? Number.POSITIVE_INFINITY;
  const processes = asked?.processes ?? caps.processes;
  const problems: string[] = [];
  if (memoryBytes > maxBytes)
    problems.push(`local.resources.memory ${memory} exceeds the server's maximum ${caps.memory}`);
  if (processes > caps.processes)
    problems.push(`local.resources.processes ${processes} exceeds the server's maximum ${caps.processes}`);
  if (problems.length > 0) {
    throw new RuntimeFailure(
      `${problems.join('; ')}: lower it in .glimpse.yml or ask an admin to raise GLIMPSE_LOCAL_MAX_MEMORY or GLIMPSE_LOCAL_MAX_PROCESSES`,
      { transient: false },
    );
  }
  return { memory, memoryBytes: Math.floor(memoryBytes), processes };
}

/** `prlimit`'s arguments that set `limits` on the command that follows them. */
export function prlimitArgs(limits: ProcessLimits): string[] {
  const args = [`--as=${limits.memoryBytes}`];
  if (limits.processes !== undefined) args.push(`--nproc=${limits.processes}`);
  return [...args, '--'];
}

const PROCESS_LIMIT_HIT = /Resource temporarily unavailable|Cannot fork|can't fork|fork: retry|EAGAIN/i;
const MEMORY_LIMIT_HIT =
  /Cannot allocate memory|out of memory|ENOMEM|MemoryError|bad_alloc|Allocation failed|failed to reserve/i;

/**
 * Which limit a failed command most likely hit, from what it printed (fork's EAGAIN, ENOMEM, a runtime's
 * out-of-memory report), as a clause for the failure message; undefined when its output shows neither.
 */
export function limitHit(lines: readonly string[], limits: ProcessLimits | undefined): string | undefined {
  if (limits === undefined) return undefined;
  const text = lines.join('\n');
  if (limits.processes !== undefined && PROCESS_LIMIT_HIT.test(text)) {
    return `it hit the preview's process limit (${limits.processes} processes and threads; local.resources.processes in .glimpse.yml, at most GLIMPSE_LOCAL_MAX_PROCESSES)`;
  }
  if (MEMORY_LIMIT_HIT.test(text)) {
    return `it hit the preview's memory limit (${limits.memory} of address space per process; local.resources.memory in .glimpse.yml, at most GLIMPSE_LOCAL_MAX_MEMORY)`;
  }
  return undefined;
}
