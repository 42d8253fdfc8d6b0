import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from '../../src/db/drizzle-orm.ts';
import { environmentEvents, webhookDeliveries } from '../../src/db/schema.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { BOOTSTRAP_ADMIN_LOGIN, ensureBootstrapAdmin } from '../../src/services/bootstrap-admin.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import { createApiFetch } from '../support/api-fetch.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/shop';
const FORK = { id: 777, fullName: 'stranger/shop' };
const PR = 7;

describe.each(databaseTargets())('a fork’s approval holds for one commit (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;
  let repo: PullRequestFields['repo'];
  let approvedSha: string;
  let pushedSha: string;

  const statusComment = () =>
    harness.github.comments(FULL_NAME, PR).find((c) => c.body.includes(PR_COMMENT_MARKER))?.body ?? '';
  /** A signed issue_comment delivery, from the real example payload, on the PR. */
  const comment = (login: string, body: string) =>
    harness.deliver('issue_comment', 'created', {
      action: 'created',
      issue: { number: PR, pull_request: { url: `https://api.github.com/repos/${FULL_NAME}/pulls/${PR}` } },
      comment: { body, user: { login } },
      repository: { id: repo.id, full_name: FULL_NAME },
      installation: { id: 4242 },
      sender: { login },
    });

  /** The PR's timeline: reason and message of each entry, oldest first. */
  const timeline = async () => {
    const env = await harness.environment(PR);
    return harness.database.handle.db
      .select({ reason: environmentEvents.reason, message: environmentEvents.message })
      .from(environmentEvents)
      .where(eq(environmentEvents.environmentId, env.id))
      .orderBy(asc(environmentEvents.id));
  };

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-fork-approval-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: /health\n' });
    harness = await startGlimpseHarness(target);
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };
    harness.github.setPermission(FULL_NAME, 'maintainer', 'write');
    harness.github.setPermission(FULL_NAME, 'drive-by', 'read');
  });
  afterAll(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  it('deploys the commit a maintainer labelled', async () => {
    approvedSha = app.commit('reviewed');
    await harness.pullRequest('opened', {
      repo,
      fork: FORK,
      number: PR,
      sha: approvedSha,
      updatedAt: '2024-01-01T00:00:00Z',
    });
    await waitFor(() => statusComment().includes('✋ Waiting'));
    expect(statusComment()).toContain('comment `/glimpse approve`');
    await harness.pullRequest(
      'labeled',
      {
        repo,
        fork: FORK,
        number: PR,
        sha: approvedSha,
        updatedAt: '2024-01-02T00:00:00Z',
        labels: ['preview'],
      },
      { label: { name: 'preview' }, sender: { login: 'maintainer' } },
    );
    expect((await harness.waitForPhase(PR, 'running')).deployedSha).toBe(approvedSha);
  });

  it('does not deploy a later push, and says on the PR that the new commit needs approval', async () => {
    pushedSha = app.commit('unreviewed');
    await harness.pullRequest('synchronize', {
      repo,
      fork: FORK,
      number: PR,
      sha: pushedSha,
      updatedAt: '2024-01-03T00:00:00Z',
      labels: ['preview'],
    });
    const waiting = `maintainer approved \`${approvedSha.slice(0, 7)}\`, and new commits were pushed since. A maintainer must approve \`${pushedSha.slice(0, 7)}\``;
    await waitFor(() => statusComment().includes(waiting));
    const env = await harness.environment(PR);
    expect(env).toMatchObject({ phase: 'running', deployedSha: approvedSha, headSha: pushedSha });
    expect(await harness.deploymentsOf(PR)).toHaveLength(1);
  });

  it('answers `/glimpse approve` from someone without write access once, with why, and deploys nothing', async () => {
    const response = await comment('drive-by', '/glimpse approve');
    expect(response.status).toBe(202);
    const ignored = 'Ignored `/glimpse approve` from drive-by, who has no write access to this repository';
    await waitFor(() => statusComment().includes(ignored));
    const updates = harness.github.requests.filter(
      (r) => r.method === 'PATCH' && r.path.includes('/issues/comments/'),
    ).length;
    await comment('drive-by', '/glimpse approve');
    await waitFor(
      async () =>
        (await harness.environment(PR)).observedGeneration === (await harness.environment(PR)).generation,
    );
    expect(
      harness.github.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/issues/comments/')),
    ).toHaveLength(updates);
    expect((await harness.environment(PR)).deployedSha).toBe(approvedSha);
  });

  it('deploys the new commit once a maintainer comments `/glimpse approve`', async () => {
    await comment('maintainer', 'Looks fine now.\n');
    expect((await harness.environment(PR)).deployedSha).toBe(approvedSha);
    const response = await comment('maintainer', '/glimpse approve');
    expect(response.status).toBe(202);
    await waitFor(async () => (await harness.environment(PR)).deployedSha === pushedSha, 30_000);
    await waitFor(() => statusComment().includes('✅ Running'));
  });

  it('ignores comments that are not Glimpse commands, and commands it does not know', async () => {
    const plain = await comment('maintainer', 'nice work');
    expect(plain.body).toEqual({ ignored: 'not a Glimpse command' });
    const unknown = await comment('maintainer', '/glimpse frobnicate');
    expect(unknown.body).toEqual({ ignored: 'unknown command /glimpse frobnicate' });
  });

  it('redeploys on `/glimpse redeploy` from a maintainer', async () => {
    const before = (await harness.deploymentsOf(PR)).length;
    expect((await comment('maintainer', '/glimpse redeploy')).status).toBe(202);
    await waitFor(async () => (await harness.deploymentsOf(PR)).length === before + 1, 30_000);
    expect((await harness.waitForPhase(PR, 'running')).deployedSha).toBe(pushedSha);
    expect(await timeline()).toContainEqual({
      reason: 'ActionBy',
      message: 'maintainer asked for a redeploy with `/glimpse redeploy`.',
    });
    // The comment's delivery names the PR it is about.
    const deliveries = await harness.database.handle.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.event, 'issue_comment'));
    expect(deliveries.map((d) => [d.repoFullName, d.prNumber])).toContainEqual([FULL_NAME, PR]);
  });

  it("approves the fork's head commit, and only that one, when a team member deploys it through the API", async () => {
    await ensureBootstrapAdmin(harness.database.handle.db);
    const { token } = await createApiToken(harness.database.handle.db, { login: BOOTSTRAP_ADMIN_LOGIN });
    const reviewed = app.commit('reviewed-by-a-member');
    const push = (sha: string, updatedAt: string) =>
      harness.pullRequest('synchronize', {
        repo,
        fork: FORK,
        number: PR,
        sha,
        updatedAt,
        labels: ['preview'],
      });
    await push(reviewed, '2024-01-05T00:00:00Z');
    await waitFor(() => statusComment().includes(`must approve \`${reviewed.slice(0, 7)}\``));
    expect((await harness.environment(PR)).deployedSha).toBe(pushedSha);

    const api = createApiFetch(harness.url);
    const answer = await api(`${harness.url}/api/v1/repos/${FULL_NAME}/pulls/${PR}/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(202);
    await waitFor(async () => (await harness.environment(PR)).deployedSha === reviewed, 30_000);
    expect(await harness.environment(PR)).toMatchObject({ approvedBy: 'admin', approvedSha: reviewed });

    const later = app.commit('pushed-after-the-member-approved');
    await push(later, '2024-01-06T00:00:00Z');
    await waitFor(() => statusComment().includes(`must approve \`${later.slice(0, 7)}\``));
    const env = await harness.environment(PR);
    await waitFor(async () => (await harness.environment(PR)).observedGeneration === env.generation);
    expect(await harness.environment(PR)).toMatchObject({
      phase: 'running',
      deployedSha: reviewed,
      headSha: later,
    });
  });

  it('answers `/glimpse destroy` from someone without write access with why, once, and keeps serving', async () => {
    expect((await comment('drive-by', '/glimpse destroy')).status).toBe(202);
    const answer =
      'Ignored `/glimpse destroy` from @drive-by: only people with write access to this repository can destroy its previews.';
    const answers = () => harness.github.comments(FULL_NAME, PR).filter((c) => c.body === answer);
    await waitFor(() => answers().length === 1);
    const env = await harness.environment(PR);
    await waitFor(async () => (await harness.environment(PR)).observedGeneration === env.generation);
    expect(await harness.environment(PR)).toMatchObject({
      phase: 'running',
      desiredState: 'active',
      commentCommand: null,
    });
    expect(answers()).toHaveLength(1);
    expect(
      (await timeline()).filter((e) => e.reason === 'ActionBy' && e.message.includes('drive-by')),
    ).toEqual([]);
  });

  it('removes the preview on `/glimpse destroy` from a maintainer', async () => {
    expect((await comment('maintainer', '/glimpse destroy')).status).toBe(202);
    expect(await harness.waitForPhase(PR, 'deleted', 30_000)).toMatchObject({
      desiredState: 'closed',
      url: null,
    });
    const reasons = (await timeline()).map((e) => e.reason).filter((r) => r !== 'CommentUpdated');
    expect(reasons.slice(-3)).toEqual(['ActionBy', 'Deleting', 'Deleted']);
  });

  it('made no request GitHub does not know, and every response matched GitHub’s description', () => {
    harness.github.assertClean();
  });
});
