import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { createServiceOperations } from '../../src/services/preview-operations.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import {
  type GlimpseHarness,
  getPreview,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';
const FULL_NAME = 'acme/shop';

describe.each(databaseTargets())('previews on the local runtime, end to end (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;
  let repo: PullRequestFields['repo'];
  let runtime: LocalRuntime;

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-e2e-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': GLIMPSE_YML });
    harness = await startGlimpseHarness(target);
    runtime = harness.runtime as LocalRuntime;
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };
  });
  afterAll(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  const comments = (pr: number) =>
    harness.github.comments(FULL_NAME, pr).filter((c) => c.body.includes(PR_COMMENT_MARKER));

  it('deploys an opened PR, serves it, and says so on the PR with one comment and a deployment', async () => {
    const sha = app.commit('v1-pr1');
    const response = await harness.pullRequest('opened', {
      repo,
      number: 1,
      sha,
      updatedAt: '2024-01-01T00:00:00Z',
    });
    expect(response.status).toBe(202);
    const env = await harness.waitForPhase(1, 'running');
    expect(env).toMatchObject({
      deployedSha: sha,
      url: `http://pr-shop-1.localhost:${runtime.proxyPort}`,
      error: null,
    });
    const page = await getPreview(runtime, 'pr-shop-1');
    expect(page).toEqual({ status: 200, body: `version=v1-pr1 commit=${sha}\n` });

    const posted = await waitFor(() => {
      const list = comments(1);
      return list.length === 1 && list[0]?.body.includes('Running') ? list : undefined;
    });
    expect(posted[0]?.body).toContain(env.url ?? 'missing url');
    expect(posted[0]?.body).toContain(sha.slice(0, 7));
    const [deployment] = harness.github.deployments(FULL_NAME);
    expect(deployment).toMatchObject({ sha, environment: 'preview/pr-1' });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment?.statuses.at(-1)).toMatchObject({
      environmentUrl: env.url,
      logUrl: 'http://glimpse.test/environments/pr-shop-1',
    });
    expect(await harness.deploymentsOf(1)).toMatchObject([
      { commitSha: sha, status: 'succeeded', trigger: 'webhook' },
    ]);
  });

  it('redeploys on a push, keeps one comment, and serves the new commit', async () => {
    const sha = app.commit('v2-pr1');
    await harness.pullRequest('synchronize', { repo, number: 1, sha, updatedAt: '2024-01-02T00:00:00Z' });
    await waitFor(async () => (await harness.environment(1)).deployedSha === sha, 30_000, 'the new commit');
    expect(await getPreview(runtime, 'pr-shop-1')).toMatchObject({
      status: 200,
      body: `version=v2-pr1 commit=${sha}\n`,
    });
    await waitFor(() => comments(1)[0]?.body.includes(sha.slice(0, 7)));
    expect(comments(1)).toHaveLength(1);
    expect(harness.github.deployments(FULL_NAME)).toHaveLength(2);
  });

  it('says on the PR that the previous version still serves when a push fails to build', async () => {
    const serving = await harness.environment(1);
    const sha = app.commit('v3-broken', {
      '.glimpse.yml':
        'local:\n  build: echo the build broke && exit 4\n  start: node server.cjs\n  health: /health\n',
    });
    await harness.pullRequest('synchronize', { repo, number: 1, sha, updatedAt: '2024-01-02T12:00:00Z' });
    const env = await harness.waitForPhase(1, 'failed');
    expect(env).toMatchObject({ deployedSha: serving.deployedSha, url: serving.url });
    expect(env.statusDetail).toBe(
      `The previous version (${serving.deployedSha?.slice(0, 7)}) is still serving.`,
    );
    expect(await getPreview(runtime, 'pr-shop-1')).toMatchObject({
      status: 200,
      body: expect.stringContaining('v2-pr1'),
    });
    const body = await waitFor(() => comments(1).find((c) => c.body.includes('Failed'))?.body);
    expect(body).toContain(
      `The previous version, \`${serving.deployedSha?.slice(0, 7)}\`, is still serving at ${serving.url}.`,
    );
    expect(body).toContain('the build broke');
    app.commit('restore', { '.glimpse.yml': GLIMPSE_YML });
  });

  it('removes the preview when the PR closes and marks its deployment inactive', async () => {
    const env = await harness.environment(1);
    await harness.pullRequest('closed', {
      repo,
      number: 1,
      sha: env.headSha,
      updatedAt: '2024-01-03T00:00:00Z',
    });
    await harness.waitForPhase(1, 'deleted');
    expect(await getPreview(runtime, 'pr-shop-1')).toMatchObject({ status: 404 });
    expect((await runtime.listManaged()).map((r) => r.namespace)).not.toContain('pr-shop-1');
    await waitFor(() => harness.github.deployments(FULL_NAME).at(-1)?.statuses.at(-1)?.state === 'inactive');
    await waitFor(() => comments(1)[0]?.body.includes('Deleted'));
  });

  it('fails a preview that crashes three times once running, with the exit code and its log on the PR', async () => {
    const sha = app.commit('v1-pr6');
    await harness.pullRequest('opened', { repo, number: 6, sha, updatedAt: '2024-01-01T00:00:00Z' });
    const running = await harness.waitForPhase(6, 'running');
    const ref = { namespace: running.namespace, repoFullName: FULL_NAME, prNumber: 6 };
    for (let crash = 1; crash <= 3; crash++) {
      // Each crash once the app answers again after the one before.
      await waitFor(async () => (await getPreview(runtime, 'pr-shop-6', '/crash')).status === 200, 10_000);
      if (crash < 3) {
        await waitFor(async () => (await runtime.inspect(ref)).workloads[0]?.restarts === crash, 10_000);
      }
    }
    const env = await harness.waitForPhase(6, 'failed', 15_000);
    expect(env.error).toContain('code 7');
    // The environment's error (env show, simulate, the API) carries the app's last lines too.
    expect(env.error).toContain('\nLast lines of its output:\n');
    expect(env.error).toContain('\n  app: crashing on request\n');
    const body = await waitFor(() => comments(6).find((c) => c.body.includes('Failed'))?.body);
    expect(body).toContain('code 7');
    expect(body).toContain('crashing on request');
    expect(await getPreview(runtime, 'pr-shop-6')).toMatchObject({ status: 503 });
  });

  it('fails with a message naming the bad field of an invalid .glimpse.yml, shown on the PR', async () => {
    const sha = app.commit('bad-config', { '.glimpse.yml': 'local:\n  start: 42\n  helth: /\n' });
    await harness.pullRequest('opened', { repo, number: 2, sha, updatedAt: '2024-01-01T00:00:00Z' });
    const env = await harness.waitForPhase(2, 'failed');
    expect(env.error).toContain('.glimpse.yml is invalid');
    expect(env.error).toContain('local.start');
    expect(await harness.deploymentsOf(2)).toMatchObject([
      { commitSha: sha, status: 'failed', error: env.error },
    ]);
    await waitFor(() => comments(2)[0]?.body.includes('local.start'));
  });

  it('shows a YAML error whole (line, column, offending line) in the error, the logs and on the PR', async () => {
    const sha = app.commit('bad-yaml', {
      '.glimpse.yml': 'local:\n  start: node server.cjs\n   health: /health\n',
    });
    await harness.pullRequest('opened', { repo, number: 7, sha, updatedAt: '2024-01-01T00:00:00Z' });
    const env = await harness.waitForPhase(7, 'failed');
    expect(env.error).toContain('.glimpse.yml is not valid YAML');
    expect(env.error).toContain('at line 2, column 10:\n\n  start: node server.cjs\n         ^');
    const ops = createServiceOperations(
      {
        db: harness.database.handle.db,
        runtime: harness.runtime,
        github: undefined,
        now: () => new Date(),
        redactor: harness.app.redactor,
      },
      { userId: randomUUID(), login: 'admin', isAdmin: true, tokenId: undefined },
    );
    expect((await ops.getEnvironment('pr-shop-7')).error).toBe(env.error);
    const logs = await ops.readLogs('pr-shop-7', { tailLines: 100, timestamps: false });
    expect(logs).toContain(`preview failed: ${env.error?.split('\n')[0]}\n`);
    expect(logs).toContain('  start: node server.cjs\n');
    await waitFor(() => comments(7)[0]?.body.includes('column 10'));
    app.commit('restore', { '.glimpse.yml': GLIMPSE_YML });
  });

  it('fails a repo without local.start with what to add', async () => {
    const sha = app.commit('no-start', { '.glimpse.yml': 'local:\n  install: echo hi\n' });
    await harness.pullRequest('opened', { repo, number: 3, sha, updatedAt: '2024-01-01T00:00:00Z' });
    const env = await harness.waitForPhase(3, 'failed');
    expect(env.error).toContain('local.start');
    app.commit('restore', { '.glimpse.yml': GLIMPSE_YML });
  });

  it('never posts a secret, even when the build prints one', async () => {
    const token = 'ghs_abcdefghijklmnopqrstuvwxyz0123456789';
    const sha = app.commit('leaky', {
      '.glimpse.yml': `local:\n  build: "echo using ${token} && echo ${harness.github.privateKey.split('\n')[1]} && exit 3"\n  start: node server.cjs\n`,
    });
    await harness.pullRequest('opened', { repo, number: 4, sha, updatedAt: '2024-01-01T00:00:00Z' });
    await harness.waitForPhase(4, 'failed');
    const body = await waitFor(() => comments(4).find((c) => c.body.includes('Failed'))?.body);
    expect(body).toContain('exit');
    expect(body).not.toContain(token);
    for (const request of harness.github.requests)
      expect(JSON.stringify(request.body ?? '')).not.toContain(token);
    app.commit('restore', { '.glimpse.yml': GLIMPSE_YML });
  });

  it('keeps a fork waiting for a label from someone with write access', async () => {
    const sha = app.commit('fork');
    const fork = { id: 777, fullName: 'stranger/shop' };
    await harness.pullRequest('opened', { repo, fork, number: 5, sha, updatedAt: '2024-01-01T00:00:00Z' });
    let env = await harness.waitForPhase(5, 'pending');
    expect(env).toMatchObject({ isFork: true, deployedSha: null });
    expect(env.statusDetail).toContain('fork');

    harness.github.setPermission(FULL_NAME, 'drive-by', 'read');
    const label = (login: string, at: string) =>
      harness.pullRequest(
        'labeled',
        { repo, fork, number: 5, sha, updatedAt: at, labels: ['preview'] },
        { label: { name: 'preview' }, sender: { login } },
      );
    await label('drive-by', '2024-01-02T00:00:00Z');
    await waitFor(async () => (await harness.environment(5)).statusDetail?.includes('drive-by'));
    env = await harness.waitForPhase(5, 'pending');
    expect(env.statusDetail).toContain('drive-by, who has no write access');

    harness.github.setPermission(FULL_NAME, 'maintainer', 'write');
    await label('maintainer', '2024-01-03T00:00:00Z');
    env = await harness.waitForPhase(5, 'running');
    expect(env.deployedSha).toBe(sha);
  });

  it('finds its comment again after someone deleted it, instead of posting a second', async () => {
    const [comment] = comments(5);
    if (comment === undefined) throw new Error('PR 5 has no Glimpse comment');
    harness.github.deleteComment(FULL_NAME, comment.id);
    const sha = app.commit('after-delete');
    const fork = { id: 777, fullName: 'stranger/shop' };
    await harness.pullRequest('synchronize', {
      repo,
      fork,
      number: 5,
      sha,
      updatedAt: '2024-01-04T00:00:00Z',
      labels: ['preview'],
    });
    // The label approved the fork's earlier commit only: a maintainer approves this one.
    await harness.deliver('issue_comment', 'created', {
      issue: { number: 5, pull_request: { url: `https://api.github.com/repos/${FULL_NAME}/pulls/5` } },
      comment: { body: '/glimpse approve', user: { login: 'maintainer' } },
      repository: { id: repo.id, full_name: FULL_NAME },
      installation: { id: 4242 },
    });
    await waitFor(async () => (await harness.environment(5)).deployedSha === sha, 30_000);
    await waitFor(() => comments(5)[0]?.body.includes(sha.slice(0, 7)));
    expect(comments(5)).toHaveLength(1);
  });

  it('made no request GitHub does not know, and every response matched GitHub’s description', () => {
    harness.github.assertClean();
  });
});
