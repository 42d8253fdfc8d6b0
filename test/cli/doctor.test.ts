import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { ensureKubeTools } from '../support/kube-tools.ts';

describe('glimpse doctor', () => {
  let github: GithubSimulator;
  let sim: KubeSimulator;
  let helm: string;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    github = await startGithubSimulator();
    sim = await startKubeSimulator();
    helm = (await ensureKubeTools()).helm;
    dataDir = mkdtempSync(path.join(tmpdir(), 'glimpse-doctor-'));
    env = {
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_RUNTIME: 'kubernetes',
      KUBECONFIG: sim.kubeconfigPath,
      GLIMPSE_HELM_PATH: helm,
      GITHUB_APP_ID: String(github.appId),
      GITHUB_PRIVATE_KEY: github.privateKey,
      GITHUB_API_URL: github.url,
    };
    expect((await cli(env, 'migrate')).exitCode).toBe(0);
  });
  afterEach(() => sim.access.clear());
  afterAll(async () => {
    await github.close();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes when the database, the App, helm and every Kubernetes permission are in order', async () => {
    const result = await cli(env, 'doctor');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok\s+database\s.*migration\(s\) applied$/m);
    expect(result.stdout).toMatch(/^ok\s+github\s.*App "glimpse" accepted/m);
    expect(result.stdout).toMatch(/^ok\s+helm\s.*v3\./m);
    expect(result.stdout).toMatch(/^ok\s+kubernetes\s.*all \d+ permissions granted$/m);
    expect(github.requestsTo('GET /app')).toHaveLength(1);
    github.assertClean();
    expect(sim.requests.count({ resource: 'selfsubjectaccessreviews' })).toBeGreaterThan(40);
  });

  it('names a denied permission with the RBAC rule to add, and exits 1', async () => {
    sim.access.deny({ verb: 'delete', resource: 'namespaces' });
    sim.access.deny({ verb: 'get', resource: 'pods', subresource: 'log' });
    const result = await cli(env, 'doctor');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL\s+kubernetes\s+2 of \d+ permissions missing: delete namespaces, get pods\/log$/m,
    );
    expect(result.stdout).toContain(
      '- apiGroups: [""]\n          resources: ["namespaces"]\n          verbs: ["delete"]',
    );
    expect(result.stdout).toContain('resources: ["pods/log"]');
    expect(result.stdout).toMatch(/^ok\s+database/m);
    expect(result.stderr).toContain('kubernetes needs attention');
  });

  it('reports an unmigrated database, refused App credentials and a missing helm, each with a fix', async () => {
    const freshDir = mkdtempSync(path.join(tmpdir(), 'glimpse-doctor-fresh-'));
    try {
      const result = await cli(
        {
          ...env,
          GLIMPSE_DATA_DIR: freshDir,
          GITHUB_APP_ID: String(github.appId + 1),
          GLIMPSE_HELM_PATH: path.join(freshDir, 'no-helm-here'),
        },
        'doctor',
        '--json',
      );
      expect(result.exitCode).toBe(1);
      const report = JSON.parse(result.stdout) as {
        ok: boolean;
        checks: { name: string; status: string; detail: string; fix?: string }[];
      };
      expect(report.ok).toBe(false);
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(byName.database).toMatchObject({
        status: 'failed',
        fix: expect.stringContaining('glimpse migrate'),
      });
      expect(byName.database?.detail).toMatch(/\d+ of \d+ migration\(s\) not applied/);
      expect(byName.github).toMatchObject({
        status: 'failed',
        fix: expect.stringContaining('GITHUB_APP_ID'),
      });
      expect(byName.github?.detail).toContain('401');
      expect(byName.helm).toMatchObject({
        status: 'failed',
        fix: expect.stringContaining('GLIMPSE_HELM_PATH'),
      });
      expect(byName.kubernetes?.status).toBe('ok');
      expect(result.stdout).not.toContain('PRIVATE KEY');
    } finally {
      rmSync(freshDir, { recursive: true, force: true });
    }
  });

  it('explains in words a kubeconfig whose cluster is plain http://', async () => {
    const kubeconfig = path.join(dataDir, 'http-kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: plain, cluster: { server: "http://127.0.0.1:8001" } }]',
        'users: [{ name: me, user: { token: abc } }]',
        'contexts: [{ name: here, context: { cluster: plain, user: me } }]',
        'current-context: here',
        '',
      ].join('\n'),
    );
    const result = await cli({ ...env, KUBECONFIG: kubeconfig }, 'doctor', '--json');
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { checks: { name: string; detail: string }[] };
    const detail = report.checks.find((c) => c.name === 'kubernetes')?.detail ?? '';
    expect(detail).toContain('cluster "plain" has a plain http:// server (http://127.0.0.1:8001)');
    expect(detail).toContain("use the API server's https:// address");
    expect(detail).not.toContain('skipTLSVerify');
  });

  it('skips helm and Kubernetes on the local runtime, and the App when none is configured', async () => {
    const result = await cli({ GLIMPSE_DATA_DIR: dataDir }, 'doctor');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^skip\s+github\s.*no GitHub App configured/m);
    expect(result.stdout).toMatch(/^skip\s+helm/m);
    expect(result.stdout).toMatch(/^skip\s+kubernetes/m);
    // Run as root (as CI does), each preview also gets a uid of its own, and with it a process limit.
    expect(process.getuid?.()).toBe(0);
    expect(result.stdout).toMatch(
      /^ok\s+sandbox\s+bubblewrap, each preview under a uid of its own \(200000-265535\): previews see only/m,
    );
    expect(result.stdout).toMatch(
      /^ok\s+limits\s+enforced: memory: at most 4Gi of address space per process \(RLIMIT_AS\); processes: at most 512 processes and threads per preview \(RLIMIT_NPROC on its uid\); CPU scheduling: previews run as batch work \(SCHED_BATCH\), .*\. not enforced: a preview's total memory \(.*\); CPU time and disk space$/m,
    );
    const normal = await cli({ GLIMPSE_DATA_DIR: dataDir, GLIMPSE_LOCAL_SCHEDULING: 'normal' }, 'doctor');
    expect(normal.stdout).toMatch(
      /^ok\s+limits\s+enforced: .*\(RLIMIT_NPROC on its uid\)\. not enforced: .*; CPU scheduling: previews preempt Glimpse like any process \(GLIMPSE_LOCAL_SCHEDULING=normal\); CPU time and disk space$/m,
    );
  });

  it('runs previews under uids of their own without bubblewrap when asked, and says what that leaves open', async () => {
    const result = await cli(
      { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_LOCAL_SANDBOX: 'uid', GLIMPSE_LOCAL_UID_RANGE: '300000-300009' },
      'doctor',
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      /^ok\s+sandbox\s+uid, each preview under a uid of its own \(300000-300009\): previews cannot read the data dir.*they still see the machine's processes/m,
    );
  });

  it('warns about local previews without a sandbox, and says what to install, without failing', async () => {
    const result = await cli({ GLIMPSE_DATA_DIR: dataDir, GLIMPSE_LOCAL_SANDBOX: 'none' }, 'doctor');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      /^WARN\s+sandbox\s+none: previews run without a sandbox \(GLIMPSE_LOCAL_SANDBOX=none\), .*pull requests from forks are not deployed$/m,
    );
    expect(result.stdout).toContain('apt-get install bubblewrap');
    // Sharing Glimpse's uid, a preview cannot be given a process limit: said, not skipped.
    expect(result.stdout).toMatch(
      /^WARN\s+limits\s+enforced: memory: .*not enforced: .*process count: RLIMIT_NPROC/m,
    );
    const missing = await cli(
      { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_LOCAL_SANDBOX: 'bubblewrap', PATH: '/nonexistent' },
      'doctor',
    );
    expect(missing.stdout).toMatch(
      /^FAIL\s+sandbox\s+GLIMPSE_LOCAL_SANDBOX=bubblewrap, but bwrap is not installed/m,
    );
    expect(missing.exitCode).toBe(1);
  });
});
