import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER, renderPrComment } from '../../src/domain/pr-comment.ts';
import { createRedactor } from '../../src/domain/redactor.ts';
import { upsertPrComment } from '../../src/github/pr-feedback.ts';
import { type GithubFixture, startGithubFixture } from '../support/github-fixture.ts';

const PATCH = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
const POST = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const LIST = 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments';

describe('PR comment feedback', () => {
  let fixture: GithubFixture;
  let pr: number;
  const render = (status: 'building' | 'running', sha = 'a'.repeat(40)) =>
    renderPrComment({
      status,
      commitSha: sha,
      previewUrl: 'https://pr-web-1.preview.example.com',
      environmentUrl: 'https://glimpse.example.com/envs/1',
      now: new Date('2026-11-22T02:00:00Z'),
    });

  beforeEach(async () => {
    fixture = await startGithubFixture();
    fixture.git.commit({ 'app.txt': 'v1' }, { branch: 'feature' });
    pr = await fixture.sim.openPullRequest({ repo: fixture.fullName, headRef: 'feature' });
  });
  afterEach(async () => {
    fixture.sim.assertClean();
    await fixture.close();
  });

  const upsert = (
    body: string,
    commentId: number | null,
    lastBodyHash: string | null,
    secrets: string[] = [],
  ) =>
    upsertPrComment(fixture.github, {
      repo: fixture.repo,
      prNumber: pr,
      body,
      commentId,
      lastBodyHash,
      redactor: createRedactor(secrets),
    });

  it('creates the comment once, then updates it with a single PATCH', async () => {
    const { sim, fullName } = fixture;
    const first = await upsert(render('building'), null, null);
    expect(first.action).toBe('created');
    expect(sim.comments(fullName, pr)).toEqual([
      expect.objectContaining({ id: first.commentId, author: 'glimpse[bot]' }),
    ]);

    const before = sim.requests.length;
    const second = await upsert(render('running'), first.commentId, first.bodyHash);
    expect(second).toMatchObject({ commentId: first.commentId, action: 'updated' });
    expect(sim.requests.slice(before).map((r) => r.route)).toEqual([PATCH]);
    expect(sim.comments(fullName, pr)).toHaveLength(1);
    expect(sim.comments(fullName, pr)[0]?.body).toContain('✅ Running');
  });

  it('makes no request when the body did not change', async () => {
    const first = await upsert(render('building'), null, null);
    const before = fixture.sim.requests.length;
    const again = await upsert(render('building'), first.commentId, first.bodyHash);
    expect(again).toEqual({ commentId: first.commentId, bodyHash: first.bodyHash, action: 'unchanged' });
    expect(fixture.sim.requests.length).toBe(before);
  });

  it('after the stored comment was deleted, finds ours by its marker on a later page', async () => {
    const { sim, fullName } = fixture;
    const stored = await upsert(render('building'), null, null);
    for (let i = 0; i < 130; i++) sim.addComment(fullName, pr, `review comment ${i}`, 'reviewer');
    const ours = sim.addComment(fullName, pr, `${PR_COMMENT_MARKER}\nold copy`);
    sim.deleteComment(fullName, stored.commentId);

    const before = sim.requests.length;
    const result = await upsert(render('running'), stored.commentId, stored.bodyHash);
    expect(result).toMatchObject({ commentId: ours, action: 'found' });
    const after = sim.requests.slice(before);
    expect(after.map((r) => `${r.route} ${r.status} ${r.query.page ?? ''}`)).toEqual([
      `${PATCH} 404 `,
      `${LIST} 200 `,
      `${LIST} 200 2`,
      `${PATCH} 200 `,
    ]);
    expect(sim.comments(fullName, pr).find((c) => c.id === ours)?.body).toContain('✅ Running');
    expect(sim.requestsTo(POST)).toHaveLength(1);
  });

  it('after the stored comment was deleted and no marker exists, creates a new comment', async () => {
    const { sim, fullName } = fixture;
    const stored = await upsert(render('building'), null, null);
    for (let i = 0; i < 120; i++) sim.addComment(fullName, pr, `review comment ${i}`, 'reviewer');
    sim.deleteComment(fullName, stored.commentId);

    const before = sim.requests.length;
    const result = await upsert(render('running'), stored.commentId, stored.bodyHash);
    expect(result.action).toBe('recreated');
    expect(result.commentId).not.toBe(stored.commentId);
    const after = sim.requests.slice(before);
    expect(after.map((r) => `${r.route} ${r.status}`)).toEqual([
      `${PATCH} 404`,
      `${LIST} 200`,
      `${LIST} 200`,
      `${POST} 201`,
    ]);
    const ours = sim.comments(fullName, pr).filter((c) => c.body.includes(PR_COMMENT_MARKER));
    expect(ours.map((c) => c.id)).toEqual([result.commentId]);
  });

  it('never posts a token or the App private key, even inside failure logs', async () => {
    const { sim, fullName } = fixture;
    const token = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
    const keyLine = sim.privateKey.split('\n')[1] ?? '';
    const body = renderPrComment({
      status: 'failed',
      commitSha: 'b'.repeat(40),
      environmentUrl: 'https://glimpse.example.com/envs/1',
      now: new Date('2026-11-22T02:00:00Z'),
      failure: {
        reason: `git clone https://x-access-token:${token}@github.com/acme/web.git failed`,
        logLines: [
          `Authorization: token ${token}`,
          ...sim.privateKey.split('\n'),
          'webhook secret is s3cr3t-webhook-value',
        ],
      },
    });
    await upsert(body, null, null, ['s3cr3t-webhook-value']);
    const posted = sim
      .requestsTo(POST)
      .map((r) => JSON.stringify(r.body))
      .join('\n');
    expect(posted).toContain('❌ Failed');
    expect(posted).not.toContain(token);
    expect(posted).not.toContain(keyLine);
    expect(posted).not.toContain('s3cr3t-webhook-value');
    expect(sim.comments(fullName, pr)[0]?.body).toContain('[REDACTED]');
  });
});
