import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { Sandbox } from './choose-sandbox.ts';
import { type ProcessLimits, prlimitArgs } from './preview-limits.ts';

/** The system folders a sandboxed preview sees, read-only (each only where it exists). */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt'];

/** Files of /etc that a root Glimpse's previews could read (owner-readable): shown empty. */
const HIDDEN_FILES = ['/etc/shadow', '/etc/gshadow'];

/** Where /etc/resolv.conf often points: name resolution must keep working, the network is shared. */
const RESOLVER_FOLDERS = ['/run/systemd/resolve', '/run/resolvconf'];

/**
 * The sandbox's first process: runs the command (`$0`) and exits with its status. Its end ends the sandbox
 * (bubblewrap kills whatever is left in it), so it must not die of the SIGTERM that asks the app to shut
 * down: it catches it (a caught signal, unlike an ignored one, is not passed on to the command), and once
 * asked to stop it also waits for what the command left running (as an unsandboxed preview's processes
 * live on until the SIGKILL after the grace period). Without a SIGTERM it ends with the command, so an
 * install or build step that leaves a process behind still finishes.
 */
const FIRST_PROCESS = [
  't=; trap "t=1" TERM',
  '/bin/sh -c "$0" & c=$!',
  'while kill -0 "$c" 2>/dev/null; do wait "$c"; s=$?; done',
  'if [ -n "$t" ]; then',
  '  cd /proc',
  '  while for p in [0-9]*; do [ "$p" != 1 ] && [ "$p" != $$ ] && break; p=; done; [ -n "$p" ]; do sleep 0.1; done',
  'fi',
  'exit "$s"',
].join('\n');

export interface Launch {
  file: string;
  args: string[];
  /** The uid (and gid) to start it as; undefined: Glimpse's own. */
  uid: number | undefined;
}

/**
 * A sandbox, the folders a command in it may write to (its worktree and HOME), the preview's own uid
 * (when Glimpse runs as root), the rlimits it runs under, and the `chrt` that runs it as batch work.
 */
export interface Confinement {
  sandbox: Sandbox;
  writable: readonly string[];
  uid: number | undefined;
  limits: ProcessLimits | undefined;
  /**
   * Runs the command under SCHED_BATCH (undefined: as any process). A batch process that wakes does not
   * preempt the one running: the proxy forwards every request it has before the preview takes the CPU.
   */
  chrt: string | undefined;
}

/**
 * How to run a preview's shell command. Under bubblewrap it gets new PID, IPC and UTS namespaces, its
 * own /proc, /dev and /tmp, the system folders read-only and `writable` (its worktree and HOME) and
 * nothing else of this machine's files; no capabilities; it dies with Glimpse. The network is shared,
 * so the proxy reaches it. Paths are the same inside and outside, so `cwd` and the environment hold.
 */
export function sandboxLaunch(confinement: Confinement, command: string, cwd: string): Launch {
  const { limits, uid, chrt } = confinement;
  const inner = innerLaunch(confinement, command, cwd);
  const limited =
    limits === undefined
      ? inner
      : { file: limits.prlimit, args: [...prlimitArgs(limits), inner.file, ...inner.args] };
  if (chrt === undefined) return { ...limited, uid };
  return { file: chrt, args: ['--batch', '0', limited.file, ...limited.args], uid };
}

/**
 * Under bubblewrap, started as the preview's uid when it has one (bubblewrap then makes a user namespace;
 * its processes stay that uid to the kernel, so RLIMIT_NPROC counts them).
 */
function innerLaunch(confinement: Confinement, command: string, cwd: string): Omit<Launch, 'uid'> {
  const { sandbox, writable } = confinement;
  if (sandbox.mode !== 'bubblewrap') return { file: '/bin/sh', args: ['-c', command] };
  const args = [
    ...['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--cap-drop', 'ALL'],
    ...['--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'],
  ];
  for (const folder of [...SYSTEM_FOLDERS, ...RESOLVER_FOLDERS]) {
    const link = symlinkTarget(folder);
    if (link !== undefined) args.push('--symlink', link, folder);
    else args.push('--ro-bind-try', folder, folder);
  }
  for (const file of HIDDEN_FILES) if (existsSync(file)) args.push('--ro-bind', '/dev/null', file);
  for (const folder of writable) args.push('--bind', folder, folder);
  // Last: the rest of the sandbox's root (mount points bubblewrap made) cannot be written to.
  args.push('--remount-ro', '/', '--chdir', cwd, '/bin/sh', '-c', FIRST_PROCESS, command);
  return { file: sandbox.bwrap, args };
}

/** The target of `folder` when it is a symbolic link (`/bin -> usr/bin` on merged-/usr systems). */
function symlinkTarget(folder: string): string | undefined {
  try {
    return lstatSync(folder).isSymbolicLink() ? readlinkSync(folder) : undefined;
  } catch {
    return undefined;
  }
}
