import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { InvalidInput } from '../../domain/errors.ts';

/** What GLIMPSE_LOCAL_SANDBOX asks for. */
export type SandboxSetting = 'auto' | 'bubblewrap' | 'none';

/** How the local runtime confines previews' install, build and start commands. */
export type Sandbox =
  | { mode: 'bubblewrap'; bwrap: string }
  /** `reason` says why previews run unconfined; it is shown as a warning. */
  | { mode: 'none'; reason: string };

/** The outcome of trying bubblewrap once: the path of a working `bwrap`, or why it does not work. */
export type BubblewrapProbe = { ok: true; bwrap: string } | { ok: false; reason: string };

/**
 * Runs `bwrap` once with the namespaces a preview gets. It fails where bubblewrap is missing, or where
 * the kernel or a container forbids new namespaces to this user.
 */
export function probeBubblewrap(searchPath: string): BubblewrapProbe {
  const bwrap = searchPath
    .split(':')
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => path.join(dir, 'bwrap'))
    .find(isExecutable);
  if (bwrap === undefined) {
    return { ok: false, reason: 'bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)' };
  }
  const result = spawnSync(
    bwrap,
    [
      ...['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'],
      ...['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'],
    ],
    { env: {}, encoding: 'utf8', timeout: 10_000 },
  );
  if (result.status === 0) return { ok: true, bwrap };
  const said = result.error?.message ?? result.stderr.trim().split('\n')[0] ?? '';
  return { ok: false, reason: `${bwrap} cannot create namespaces here (${said || `exit ${result.status}`})` };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sandbox for GLIMPSE_LOCAL_SANDBOX: `auto` takes bubblewrap when it works and otherwise runs
 * previews unconfined (saying why); `bubblewrap` refuses to start without it.
 */
export function chooseSandbox(setting: SandboxSetting, probe: () => BubblewrapProbe): Sandbox {
  if (setting === 'none') return { mode: 'none', reason: 'GLIMPSE_LOCAL_SANDBOX=none' };
  const found = probe();
  if (found.ok) return { mode: 'bubblewrap', bwrap: found.bwrap };
  if (setting === 'bubblewrap') {
    throw new InvalidInput(
      `GLIMPSE_LOCAL_SANDBOX=bubblewrap, but ${found.reason}: install bubblewrap, or set GLIMPSE_LOCAL_SANDBOX=auto or none.`,
    );
  }
  return { mode: 'none', reason: `no sandbox available: ${found.reason}` };
}
