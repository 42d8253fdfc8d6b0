import { spawnSync } from 'node:child_process';
import { InvalidInput } from '../../domain/errors.ts';
import { findProgram } from './find-program.ts';

/** What GLIMPSE_LOCAL_SANDBOX asks for. */
export type SandboxSetting = 'auto' | 'bubblewrap' | 'uid' | 'none';

/** The uids (each also a gid) given out to previews, one per live preview (GLIMPSE_LOCAL_UID_RANGE). */
export interface UidRange {
  first: number;
  last: number;
}

/**
 * How the local runtime confines previews' install, build and start commands. `uids` is set when Glimpse
 * runs as root: each preview then runs under a uid of its own, inside bubblewrap too.
 */
export type Sandbox =
  | { mode: 'bubblewrap'; bwrap: string; uids: UidRange | undefined }
  | { mode: 'uid'; uids: UidRange }
  /** `reason` says why previews run unconfined; it is shown as a warning. */
  | { mode: 'none'; reason: string };

/** The outcome of trying bubblewrap once: the path of a working `bwrap`, or why it does not work. */
export type BubblewrapProbe = { ok: true; bwrap: string } | { ok: false; reason: string };

/**
 * Runs `bwrap` once with the namespaces a preview gets. It fails where bubblewrap is missing, or where
 * the kernel or a container forbids new namespaces to this user.
 */
export function probeBubblewrap(searchPath: string, asUid?: number): BubblewrapProbe {
  const bwrap = findProgram(searchPath, 'bwrap');
  if (bwrap === undefined) {
    return { ok: false, reason: 'bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)' };
  }
  const result = spawnSync(
    bwrap,
    [
      ...['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'],
      ...['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'],
    ],
    {
      env: {},
      cwd: '/',
      encoding: 'utf8',
      timeout: 10_000,
      ...(asUid === undefined ? {} : { uid: asUid, gid: asUid }),
    },
  );
  if (result.status === 0) return { ok: true, bwrap };
  const said = result.error?.message ?? result.stderr.trim().split('\n')[0] ?? '';
  const who = asUid === undefined ? '' : ` for uid ${asUid}`;
  return {
    ok: false,
    reason: `${bwrap} cannot create namespaces here${who} (${said || `exit ${result.status}`})`,
  };
}

/**
 * The sandbox for GLIMPSE_LOCAL_SANDBOX. `uids` is the range to give previews when Glimpse runs as root
 * (undefined otherwise); `probe` tries bubblewrap, as the first of those uids when there are any.
 * `auto` takes bubblewrap when it works (under previews' own uids when root), else `uid` when root, else
 * runs previews unconfined (saying why); `bubblewrap` and `uid` refuse to start without what they need.
 */
export function chooseSandbox(
  setting: SandboxSetting,
  host: { uids: UidRange | undefined; probe: (asUid: number | undefined) => BubblewrapProbe },
): Sandbox {
  if (setting === 'none') return { mode: 'none', reason: 'GLIMPSE_LOCAL_SANDBOX=none' };
  const { uids } = host;
  if (setting === 'uid') {
    if (uids === undefined) {
      throw new InvalidInput(
        'GLIMPSE_LOCAL_SANDBOX=uid needs Glimpse to run as root (it starts each preview under a uid of its own): run it as root, or set GLIMPSE_LOCAL_SANDBOX=auto, bubblewrap or none.',
      );
    }
    return { mode: 'uid', uids };
  }
  const found = host.probe(uids?.first);
  if (found.ok) return { mode: 'bubblewrap', bwrap: found.bwrap, uids };
  if (setting === 'bubblewrap') {
    throw new InvalidInput(
      `GLIMPSE_LOCAL_SANDBOX=bubblewrap, but ${found.reason}: install bubblewrap, or set GLIMPSE_LOCAL_SANDBOX=auto${uids === undefined ? '' : ', uid'} or none.`,
    );
  }
  if (uids !== undefined) return { mode: 'uid', uids };
  return { mode: 'none', reason: `no sandbox available: ${found.reason}` };
}

/** The sandbox this process gets: probes bubblewrap on `searchPath`, and gives previews uids when root. */
export function detectSandbox(local: {
  sandbox: SandboxSetting;
  searchPath: string;
  uidRange: UidRange;
}): Sandbox {
  const root = process.getuid?.() === 0;
  return chooseSandbox(local.sandbox, {
    uids: root ? local.uidRange : undefined,
    probe: (asUid) => probeBubblewrap(local.searchPath, asUid),
  });
}

/** What a sandbox keeps a preview from doing, and what not, for the banner and `glimpse doctor`. */
export function describeSandbox(sandbox: Sandbox): string {
  const ownUid = (uids: UidRange) => `each preview under a uid of its own (${uids.first}-${uids.last})`;
  if (sandbox.mode === 'bubblewrap') {
    const uid = sandbox.uids === undefined ? ", under Glimpse's own uid" : `, ${ownUid(sandbox.uids)}`;
    return `bubblewrap${uid}: previews see only the system folders (read-only), their worktree and HOME, and their own processes; the network is shared`;
  }
  if (sandbox.mode === 'uid') {
    return `uid, ${ownUid(sandbox.uids)}: previews cannot read the data dir, Glimpse's environment or other previews' files, nor signal their processes; they still see the machine's processes and world-readable files, and may write where any user may (/tmp)`;
  }
  return `none: previews run without a sandbox (${sandbox.reason}), as Glimpse's user: they can read its secrets and every other preview`;
}
