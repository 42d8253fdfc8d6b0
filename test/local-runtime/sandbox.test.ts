import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSandbox, probeBubblewrap, type Sandbox } from '../../src/runtimes/local/choose-sandbox.ts';
import { readPreviewStates } from '../../src/runtimes/local/preview-state.ts';
import { groupMembers } from '../../src/runtimes/local/process-group.ts';
import { type AppRepo, createAppRepo } from './support/app-repo.ts';
import {
  FAST_TIMING,
  type Harness,
  hostOf,
  localConfig,
  request,
  specFor,
  startHarness,
  tempDir,
} from './support/runtime-harness.ts';

/**
 * What a hostile pull request would try. Each line prints `<probe>=allowed` or `<probe>=denied`; the
 * results land in the preview's worktree (which it may write), then it serves like any app.
 */
const PROBE = String.raw`
probe() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name=allowed"; else echo "$name=denied"; fi; }
{
  probe read-glimpse-environment cat /proc/$GLIMPSE_PID/environ
  probe read-webhook-secret cat $DATA_DIR/webhook-secret
  probe read-session-secret cat $DATA_DIR/session-secret
  probe read-database cat $DATA_DIR/pgdata/PG_VERSION
  probe read-other-worktree cat $OTHER_WORKTREE/server.cjs
  probe read-glimpse-checkout cat $GLIMPSE_CHECKOUT/package.json
  probe list-home ls $HOST_HOME
  probe read-shadow grep -q : /etc/shadow
  probe see-other-preview test -d /proc/$OTHER_PID
  probe signal-other-preview kill -0 $OTHER_PID
  probe see-glimpse test -d /proc/$GLIMPSE_PID
  probe signal-glimpse kill -0 $GLIMPSE_PID
  probe write-data-dir sh -c "echo planted > $DATA_DIR/planted"
  probe write-other-worktree sh -c "echo planted > $OTHER_WORKTREE/planted"
  probe write-tmp sh -c "echo planted > /tmp/$TMP_MARKER"
  probe write-home sh -c "echo planted > \$HOME/planted"
} > probe-results.txt
exec node server.cjs
`;

/** What a preview must not do, as the probe names it, under any sandbox. */
const FORBIDDEN = [
  'read-glimpse-environment',
  'read-webhook-secret',
  'read-session-secret',
  'read-database',
  'read-other-worktree',
  'list-home',
  'signal-other-preview',
  'signal-glimpse',
];

/** What bubblewrap hides besides: files other users may read, and other processes altogether. */
const HIDDEN_BY_BUBBLEWRAP = ['read-glimpse-checkout', 'see-other-preview', 'see-glimpse'];

/** The previews' uids (as root, the tests' case: they must run as root to try these modes). */
const UIDS = { first: 210_000, last: 210_099 };

function sandboxOf(setting: 'bubblewrap' | 'uid', root: boolean): () => Sandbox {
  return () => {
    expect(process.getuid?.(), 'the sandbox tests run as root (as CI does)').toBe(0);
    const uids = root ? UIDS : undefined;
    return chooseSandbox(setting, { uids, probe: (asUid) => probeBubblewrap(process.env.PATH ?? '', asUid) });
  };
}

/** The uid a process runs as, from /proc. */
function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

function worktreeOf(dataDir: string, namespace: string): string {
  const deployments = path.join(dataDir, 'local', 'previews', namespace, 'deployments');
  const [key] = readdirSync(deployments);
  return path.join(deployments, key ?? '', 'src');
}

describe.each([
  {
    mode: 'bubblewrap',
    sandbox: sandboxOf('bubblewrap', true),
    contained: true,
    namespaces: true,
    ownUid: true,
  },
  {
    mode: "bubblewrap (sharing Glimpse's uid, as when not root)",
    sandbox: sandboxOf('bubblewrap', false),
    contained: true,
    namespaces: true,
    ownUid: false,
  },
  { mode: 'uid', sandbox: sandboxOf('uid', true), contained: true, namespaces: false, ownUid: true },
  {
    mode: 'none',
    sandbox: (): Sandbox => ({ mode: 'none', reason: 'test' }),
    contained: false,
    namespaces: false,
    ownUid: false,
  },
])(
  'local runtime with GLIMPSE_LOCAL_SANDBOX=$mode: a hostile preview',
  ({ mode, sandbox, contained, namespaces, ownUid }) => {
    const temp = tempDir(`sandbox-${mode.split(' ')[0]}`);
    const marker = `glimpse-probe-${process.pid}-${mode.replace(/\W+/g, '-')}`;
    let repo: AppRepo;
    let h: Harness;
    let dataDir: string;
    let otherWorktree: string;
    let results: Record<string, string>;
    let sha: string;

    beforeAll(async () => {
      // Previews under uids of their own must pass through the folders above the data dir.
      chmodSync(temp.dir, 0o711);
      dataDir = path.join(temp.dir, 'data');
      mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
      writeFileSync(path.join(dataDir, 'webhook-secret'), 'whsec-test\n', { mode: 0o600 });
      writeFileSync(path.join(dataDir, 'session-secret'), 'session-test\n', { mode: 0o600 });
      writeFileSync(path.join(dataDir, 'pgdata', 'PG_VERSION'), '17\n', { mode: 0o600 });
      repo = createAppRepo(path.join(temp.dir, 'repo'));
      sha = repo.commit('v2', { 'probe.sh': PROBE });
      h = await startHarness(dataDir, { sandbox: sandbox() });
      await h.runtime.deploy(
        specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 1 }),
        AbortSignal.timeout(30_000),
      );
      const other = await h.runtime.inspect(specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 1 }));
      otherWorktree = worktreeOf(dataDir, 'pr-app-1');
      const env = {
        GLIMPSE_PID: String(process.pid),
        DATA_DIR: dataDir,
        OTHER_WORKTREE: otherWorktree,
        OTHER_PID: String(other.workloads[0]?.pid),
        GLIMPSE_CHECKOUT: process.cwd(),
        HOST_HOME: homedir(),
        TMP_MARKER: marker,
      };
      const config = localConfig({ start: 'sh probe.sh', env });
      const spec = specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 2, config });
      await h.runtime.deploy(spec, AbortSignal.timeout(30_000));
      const text = readFileSync(path.join(worktreeOf(dataDir, 'pr-app-2'), 'probe-results.txt'), 'utf8');
      results = Object.fromEntries(
        text
          .trim()
          .split('\n')
          .map((line) => line.split('=') as [string, string]),
      );
    }, 90_000);

    afterAll(async () => {
      await h?.runtime.close();
      rmSync(path.join('/tmp', marker), { force: true });
      temp.remove();
    });

    it(`${contained ? 'cannot' : 'can (which is why forks are refused)'} read Glimpse's environment, secrets, database, checkout, home or another preview, nor see or signal their processes`, () => {
      expect(Object.keys(results)).toEqual(expect.arrayContaining([...FORBIDDEN, ...HIDDEN_BY_BUBBLEWRAP]));
      // /etc is visible read-only; what only root may read there is hidden from a root Glimpse's previews.
      if (contained) expect(results['read-shadow']).toBe('denied');
      for (const probe of FORBIDDEN)
        expect(`${probe}=${results[probe]}`).toBe(`${probe}=${contained ? 'denied' : 'allowed'}`);
      // Under a uid of its own only, a preview still sees the machine's processes and world-readable files.
      for (const probe of HIDDEN_BY_BUBBLEWRAP)
        expect(`${probe}=${results[probe]}`).toBe(`${probe}=${namespaces ? 'denied' : 'allowed'}`);
    });

    it(`${contained ? 'writes' : 'can write'} nowhere but its worktree, its HOME and its own /tmp`, () => {
      expect(existsSync(path.join(dataDir, 'planted'))).toBe(!contained);
      expect(existsSync(path.join(otherWorktree, 'planted'))).toBe(!contained);
      // Its own /tmp under bubblewrap; the shared one, as any user may, under a uid of its own only.
      expect(existsSync(path.join('/tmp', marker))).toBe(!namespaces);
      expect(results['write-tmp']).toBe('allowed');
      expect(results['write-home']).toBe('allowed');
    });

    it('still serves through the proxy', async () => {
      const reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-2'));
      expect(reply.status).toBe(200);
      expect(reply.body).toMatch(/^version=v2 commit=[0-9a-f]{40}\n$/);
    });

    it('leaves nothing of it running once destroyed', async () => {
      const ref = specFor({ cloneUrl: repo.dir, commitSha: 'unused', prNumber: 2 });
      const pid = (await h.runtime.inspect(ref)).workloads[0]?.pid;
      if (pid === undefined) throw new Error('the probing preview has no process');
      expect(groupMembers(pid).length).toBeGreaterThan(namespaces ? 2 : 0); // bwrap, its init, sh or node
      await h.runtime.destroy(ref, AbortSignal.timeout(20_000));
      expect(groupMembers(pid)).toEqual([]);
      // Its worktree and, sandboxed, its own HOME are gone; the final log stays.
      expect(readdirSync(path.join(dataDir, 'local', 'previews', 'pr-app-2'))).toEqual(['final.log']);
    });

    it('gives an app the stop grace period to shut down, and ends it after that', async () => {
      const config = localConfig({ env: { IGNORE_SIGTERM: '1' } });
      const spec = specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 3, config });
      await h.runtime.deploy(spec, AbortSignal.timeout(30_000));
      const pid = (await h.runtime.inspect(spec)).workloads[0]?.pid ?? -1;
      const started = Date.now();
      await h.runtime.destroy(spec, AbortSignal.timeout(20_000));
      expect(Date.now() - started).toBeGreaterThanOrEqual(FAST_TIMING.stopGraceMs);
      expect(groupMembers(pid)).toEqual([]);
      const log = readFileSync(path.join(dataDir, 'local', 'previews', 'pr-app-3', 'final.log'), 'utf8');
      expect(log).toContain('ignoring SIGTERM');
    });

    it.runIf(ownUid)('runs each preview under a uid of its own, kept across a restart', async () => {
      const ref = specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 1 });
      const before = (await h.runtime.inspect(ref)).workloads[0]?.pid ?? -1;
      const uid = uidOf(before);
      expect(uid).toBeGreaterThanOrEqual(UIDS.first);
      expect(uid).toBeLessThanOrEqual(UIDS.last);
      const config = localConfig({});
      await h.runtime.deploy(
        specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 4, config }),
        AbortSignal.timeout(30_000),
      );
      const neighbour = (
        await h.runtime.inspect(specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 4 }))
      ).workloads[0]?.pid;
      expect(uidOf(neighbour ?? -1)).not.toBe(uid);
      const { states } = await readPreviewStates(path.join(dataDir, 'local', 'previews'));
      expect(states.find((s) => s.state.ref.namespace === 'pr-app-1')?.state.uid).toBe(uid);
      // Glimpse restarts: the preview comes back under the same uid, its worktree its own.
      await h.runtime.close();
      h = await startHarness(dataDir, { sandbox: sandbox() });
      await h.runtime.deploy(
        specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 1 }),
        AbortSignal.timeout(30_000),
      );
      const after = (await h.runtime.inspect(ref)).workloads[0]?.pid ?? -1;
      expect(after).not.toBe(before);
      expect(uidOf(after)).toBe(uid);
    });
  },
);
