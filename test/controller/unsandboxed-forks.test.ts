import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/shop';

describe.each(databaseTargets())('local previews without a sandbox (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;
  let repo: PullRequestFields['repo'];

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-unsandboxed-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: /health\n' });
    harness = await startGlimpseHarness(target, { env: { GLIMPSE_LOCAL_SANDBOX: 'none' } });
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };
  });
  afterAll(async () => {
    await harness.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  it('refuses a fork even with the label from a maintainer, and says why on the PR', async () => {
    const sha = app.commit('fork');
    const fork = { id: 777, fullName: 'stranger/shop' };
    harness.github.setPermission(FULL_NAME, 'maintainer', 'write');
    await harness.pullRequest(
      'labeled',
      { repo, fork, number: 5, sha, updatedAt: '2024-01-02T00:00:00Z', labels: ['preview'] },
      { label: { name: 'preview' }, sender: { login: 'maintainer' } },
    );
    const reason =
      'Local previews run without a sandbox (GLIMPSE_LOCAL_SANDBOX=none), so pull requests from forks are not deployed';
    await waitFor(async () => (await harness.environment(5)).statusDetail?.startsWith(reason), 10_000);
    const env = await harness.environment(5);
    expect(env).toMatchObject({ phase: 'pending', deployedSha: null });
    await waitFor(() =>
      harness.github.comments(FULL_NAME, 5).some((c) => c.body.includes(PR_COMMENT_MARKER)),
    );
    const [comment] = harness.github.comments(FULL_NAME, 5);
    expect(comment?.body).toContain('✋ Waiting');
    expect(comment?.body).toContain(`**Waiting:** ${reason}`);
  });

  it('deploys pull requests from the repository itself', async () => {
    const sha = app.commit('own');
    await harness.pullRequest('opened', { repo, number: 6, sha, updatedAt: '2024-01-01T00:00:00Z' });
    const env = await harness.waitForPhase(6, 'running');
    expect(env.deployedSha).toBe(sha);
  });
});
