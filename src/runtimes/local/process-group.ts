import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { type Confinement, sandboxLaunch } from './sandbox-launch.ts';

/** The fields of /proc/<pid>/stat that Glimpse uses. */
export interface ProcStat {
  pid: number;
  /** The command name (`comm`), at most 15 characters. */
  name: string;
  state: string;
  pgrp: number;
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
  /** Clock ticks after boot at which the process started: with the pid, it identifies one process. */
  startTime: number;
}

/** Reads /proc/<pid>/stat; undefined when the process is gone or /proc is unavailable. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const number = (index: number) => Number(fields[index] ?? Number.NaN);
  return {
    pid,
    name: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    state: fields[0] ?? '?',
    pgrp: number(2),
    cpuTicks: number(11) + number(12),
    startTime: number(19),
  };
}

/** Every live (non-zombie) process whose process group is `pgid`. */
export function groupMembers(pgid: number): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: ProcStat[] = [];
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z') members.push(stat);
  }
  return members;
}

/**
 * Spawns a shell command, in its sandbox, under its uid and limits, as the leader of a new process group, so the whole tree can be
 * signalled (bubblewrap keeps the group: it and everything in its namespaces are members).
 */
export function spawnGroup(
  command: string,
  options: { cwd: string; env: Record<string, string>; confinement: Confinement },
): ChildProcess {
  const launch = sandboxLaunch(options.confinement, command, options.cwd);
  return spawn(launch.file, launch.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(launch.uid === undefined ? {} : { uid: launch.uid, gid: launch.uid }),
  });
}

/** Sends a signal to a process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while any non-zombie member of the group is alive. */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  // kill(0) also succeeds for zombies that nobody has reaped yet; /proc tells them apart.
  return groupMembers(pgid).length > 0 || !procAvailable();
}

function procAvailable(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/**
 * SIGTERM to the group, SIGKILL after `graceMs`; resolves once no member is left (or 5 s after SIGKILL).
 * A sandboxed group's bubblewrap processes get no SIGTERM: bwrap would die of it and take the sandbox with
 * it at once (`--die-with-parent`), leaving the app no time to shut down. The app's exit ends them.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!terminateGroup(pgid)) return;
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 5_000);
}

function terminateGroup(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (!members.some((member) => member.name === 'bwrap')) return signalGroup(pgid, 'SIGTERM');
  for (const member of members) {
    if (member.name === 'bwrap') continue;
    try {
      process.kill(member.pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  return true;
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
}

/**
 * True when `pid` is still the process Glimpse started (same start time), so a pid reused by an
 * unrelated process after a restart is never signalled.
 */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  const stat = readProcStat(pid);
  return (
    stat !== undefined && stat.state !== 'Z' && (startTime === undefined || stat.startTime === startTime)
  );
}
