import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { type AppRepo, createAppRepo, git } from '../local-runtime/support/app-repo.ts';
import { createApiFetch } from '../support/api-fetch.ts';
import {
  type GlimpseHarness,
  getPreview,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { seedUser } from '../support/seed-previews.ts';
import { databaseTargets } from '../support/test-database.ts';

const GOOD_YML = 'local:\n  start: node server.cjs\n  health: /health\n';
const FULL_NAME = 'acme/conf';

/** Previews whose `.glimpse.yml` Glimpse refuses: they fail at once, say why, and their address says so. */
describe.each(databaseTargets())('previews with a refused configuration (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;
  let repo: PullRequestFields['repo'];
  let runtime: LocalRuntime;
  let clock = Date.parse('2025-03-01T00:00:00Z');
  let adminToken: string;

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-conf-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': GOOD_YML });
    harness = await startGlimpseHarness(target);
    runtime = harness.runtime as LocalRuntime;
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };
    await seedUser(harness.database.handle.db, 'root', [], true);
    adminToken = (await createApiToken(harness.database.handle.db, { login: 'root' })).token;
  });
  afterAll(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  const open = (number: number, sha: string, action = 'opened') => {
    clock += 60_000;
    return harness.pullRequest(action, { repo, number, sha, updatedAt: new Date(clock).toISOString() });
  };
  /** The repo's last `.glimpse.yml` check as GET /api/v1/repos answers it (checked against the OpenAPI document). */
  const lastConfigCheck = async () => {
    const response = await createApiFetch(harness.url)(`${harness.url}/api/v1/repos`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { fullName: string; lastConfigCheck: unknown }[] };
    return body.items.find((r) => r.fullName === FULL_NAME)?.lastConfigCheck;
  };
  const comment = (pr: number) =>
    harness.github.comments(FULL_NAME, pr).find((c) => c.body.includes(PR_COMMENT_MARKER))?.body ?? '';

  it('fails a health path that is no URL path at once, naming local.health, and its address says it failed', async () => {
    expect(await lastConfigCheck()).toBeNull();
    const sha = app.commit('bad-health', {
      '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: "/a b"\n',
    });
    expect((await open(1, sha)).status).toBe(202);
    const env = await harness.waitForPhase(1, 'failed');
    expect(env.error).toContain('field local.health: expected a URL path');
    expect(await lastConfigCheck()).toMatchObject({ ref: sha, pr: 1, outcome: 'invalid', error: env.error });
    // One attempt: an invalid config is permanent, never retried as transient.
    expect(await harness.deploymentsOf(1)).toHaveLength(1);
    await expect.poll(() => comment(1), { timeout: 10_000 }).toContain('local.health');
    const page = await getPreview(runtime, env.namespace);
    expect(page.status).toBe(503);
    expect(page.body).toContain('This preview failed');
    expect(page.body).toContain(`http://glimpse.test/environments/${env.namespace}`);
    expect(page.body).not.toContain('No preview here');
  });

  it('refuses a .glimpse.yml over 1 MB with the limit, instead of deploying without it', async () => {
    const sha = app.commit('huge-config', {
      '.glimpse.yml': `# ${'x'.repeat(2 * 1024 * 1024)}\n${GOOD_YML}`,
    });
    expect((await open(2, sha)).status).toBe(202);
    const env = await harness.waitForPhase(2, 'failed');
    expect(env.error).toMatch(/^\.glimpse\.yml is 2\.0 MB, over the limit of 1 MB/);
    expect(await harness.deploymentsOf(2)).toHaveLength(1);
    expect((await getPreview(runtime, env.namespace)).body).toContain('This preview failed');
    // The repository's last check is this one: the file, the commit and the PR it was read for.
    expect(await lastConfigCheck()).toEqual({
      checkedAt: expect.any(String),
      ref: sha,
      pr: 2,
      outcome: 'invalid',
      error: env.error,
    });
  });

  it('serves once the configuration is fixed, and records when the closed preview was deleted', async () => {
    const sha = app.commit('fixed', { '.glimpse.yml': GOOD_YML });
    expect((await open(1, sha, 'synchronize')).status).toBe(202);
    const running = await harness.waitForPhase(1, 'running');
    expect(await lastConfigCheck()).toMatchObject({ ref: sha, pr: 1, outcome: 'valid', error: null });
    expect(running.deletedAt).toBeNull();
    expect((await getPreview(runtime, running.namespace)).status).toBe(200);
    const before = Date.now();
    clock += 60_000;
    await harness.pullRequest('closed', {
      repo,
      number: 1,
      sha,
      updatedAt: new Date(clock).toISOString(),
      state: 'closed',
    });
    const deleted = await harness.waitForPhase(1, 'deleted');
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    expect(deleted.deletedAt?.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect((await getPreview(runtime, deleted.namespace)).status).toBe(404);
  });

  it('records a repository without a .glimpse.yml as missing, the defaults applying', async () => {
    git(repoDir, 'rm', '--quiet', '.glimpse.yml');
    const sha = app.commit('no-config');
    expect((await open(3, sha)).status).toBe(202);
    await expect
      .poll(async () => lastConfigCheck(), { timeout: 20_000 })
      .toMatchObject({ ref: sha, pr: 3, outcome: 'missing', error: null });
  });
});
