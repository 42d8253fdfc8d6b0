import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import { createAppRepo } from '../local-runtime/support/app-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/queue';

describe('bounded concurrency', () => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let repo: PullRequestFields['repo'];
  let sha: string;

  /** One deploy slot; each preview takes 1.5 s to become healthy. */
  async function startQueue(controller: AppDeps['controller']) {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-queue-repo-'));
    const app = createAppRepo(repoDir);
    sha = app.commit('slow', {
      '.glimpse.yml':
        'local:\n  start: node server.cjs\n  health: /health\n  env:\n    START_DELAY_MS: "1500"\n',
    });
    harness = await startGlimpseHarness('pglite', {
      env: { GLIMPSE_MAX_CONCURRENT_DEPLOYS: '1' },
      controller,
    });
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };
  }
  afterEach(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  const glimpseComments = (number: number) =>
    harness.github.comments(FULL_NAME, number).filter((c) => c.body.includes(PR_COMMENT_MARKER));

  it('deploys one at a time and tells the waiting PRs their place in the queue', async () => {
    await startQueue({ queueNoticeAfterMs: 0 });
    for (const number of [1, 2, 3]) {
      await harness.pullRequest('opened', { repo, number, sha, updatedAt: `2024-01-01T00:00:0${number}Z` });
    }
    let mostAtOnce = 0;
    const watching = setInterval(() => {
      mostAtOnce = Math.max(mostAtOnce, harness.app.controller?.activeCount ?? 0);
    }, 20);
    const queued = await waitFor(async () => {
      const third = await harness.environment(3);
      return third.statusDetail?.startsWith('Queued') ? third : undefined;
    });
    expect(queued.statusDetail).toMatch(/position [23] when queued/);
    const comment = await waitFor(() => glimpseComments(3).find((c) => c.body.includes('Queue position')));
    expect(comment.body).toMatch(/Queue position \| [23] \|/);
    for (const number of [1, 2, 3]) await harness.waitForPhase(number, 'running', 30_000);
    clearInterval(watching);
    expect(mostAtOnce).toBe(1);
    expect(glimpseComments(3)).toHaveLength(1);
  });

  it('does not announce a wait shorter than the queue notice delay (30 s by default)', async () => {
    await startQueue({});
    for (const number of [1, 2]) {
      await harness.pullRequest('opened', { repo, number, sha, updatedAt: `2024-01-01T00:00:0${number}Z` });
    }
    await harness.waitForPhase(2, 'running', 30_000);
    expect((await harness.environment(1)).phase).toBe('running');
    const noticed = harness.github.requests.filter((r) =>
      JSON.stringify(r.body ?? '').includes('Queue position'),
    );
    expect(noticed).toEqual([]);
    expect(glimpseComments(2)).toHaveLength(1);
  });

  it('deletes a closed PR’s preview while every deploy slot is taken', async () => {
    await startQueue({});
    await harness.pullRequest('opened', { repo, number: 1, sha, updatedAt: '2024-01-01T00:00:01Z' });
    await harness.waitForPhase(1, 'running', 30_000);
    const app = createAppRepo(repoDir);
    const slow = app.commit('slower', {
      '.glimpse.yml':
        'local:\n  start: node server.cjs\n  health: /health\n  env:\n    START_DELAY_MS: "20000"\n',
    });
    await harness.pullRequest('opened', { repo, number: 2, sha: slow, updatedAt: '2024-01-01T00:00:02Z' });
    await waitFor(async () => ((await harness.environment(2)).phase === 'deploying' ? true : undefined));
    await harness.pullRequest('closed', { repo, number: 1, sha, updatedAt: '2024-01-01T00:00:03Z' });
    await harness.waitForPhase(1, 'deleted', 15_000);
    // The deploy still holds the only deploy slot: the deletion had a slot of its own.
    expect((await harness.environment(2)).phase).toBe('deploying');
  });
});
