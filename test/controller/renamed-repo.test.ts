import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import { type GlimpseHarness, getPreview, startGlimpseHarness } from '../support/glimpse-harness.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';

describe.each(databaseTargets())('a preview of a repository renamed on GitHub (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-rename-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': GLIMPSE_YML });
    harness = await startGlimpseHarness(target);
  });
  afterAll(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  it('keeps serving under its namespace and deploys the next push, reporting on the PR under the new name', async () => {
    const id = await harness.connectRepo('acme/old-name', repoDir);
    const cloneUrl = `file://${repoDir}`;
    const first = app.commit('before-rename');
    await harness.pullRequest('opened', {
      repo: { id, fullName: 'acme/old-name', cloneUrl },
      number: 1,
      sha: first,
      updatedAt: '2025-04-01T00:00:00Z',
    });
    const running = await harness.waitForPhase(1, 'running');
    expect(running.namespace).toBe('pr-old-name-1');

    harness.github.renameRepo('acme/old-name', 'acme/new-name');
    const renamed = await harness.deliver('repository', 'renamed', {
      repository: { id, full_name: 'acme/new-name', clone_url: cloneUrl },
    });
    expect(renamed.status).toBe(200);

    const second = app.commit('after-rename');
    const push = await harness.pullRequest('synchronize', {
      repo: { id, fullName: 'acme/new-name', cloneUrl },
      number: 1,
      sha: second,
      updatedAt: '2025-04-01T01:00:00Z',
    });
    expect(push.status).toBe(202);
    await waitFor(
      async () => (await harness.environment(1)).deployedSha === second,
      30_000,
      'the push deployed',
    );
    const env = await harness.environment(1);
    expect(env).toMatchObject({ phase: 'running', namespace: 'pr-old-name-1', error: null });
    const page = await getPreview(harness.runtime as LocalRuntime, 'pr-old-name-1');
    expect(page).toEqual({ status: 200, body: `version=after-rename commit=${second}\n` });
    await waitFor(
      () =>
        harness.github
          .comments('acme/new-name', 1)
          .some((c) => c.body.includes(PR_COMMENT_MARKER) && c.body.includes(second.slice(0, 7))),
      10_000,
      'the comment of the new commit',
    );
    expect(
      harness.github.comments('acme/new-name', 1).filter((c) => c.body.includes(PR_COMMENT_MARKER)),
    ).toHaveLength(1);
    expect(harness.github.unexpectedRequests).toEqual([]);
  });
});
