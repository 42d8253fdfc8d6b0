import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { createAppRepo } from '../local-runtime/support/app-repo.ts';
import { startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { type GlimpseHarness, getPreview, startGlimpseHarness } from '../support/glimpse-harness.ts';
import { createTestDatabase, databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';
const BROKEN_YML =
  'local:\n  build: echo the build broke && exit 4\n  start: node server.cjs\n  health: /health\n';
const FULL_NAME = 'acme/shop';

describe.each(databaseTargets())('a failed redeploy across a Glimpse restart (%s)', (target) => {
  const temp = mkdtempSync(path.join(tmpdir(), 'glimpse-restart-'));
  const dataDir = path.join(temp, 'data');
  // Run as root, previews get uids of their own, which must pass through the folders above the data dir.
  chmodSync(temp, 0o711);
  const closing: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closing.reverse()) await close();
    rmSync(temp, { recursive: true, force: true });
  });

  it('no longer says the previous version is serving once the restart stopped it', async () => {
    const database = await createTestDatabase(target);
    closing.push(() => database.close());
    const github = await startGithubSimulator();
    closing.push(() => github.close());
    const app = createAppRepo(path.join(temp, 'repo'));
    app.commit('v1', { '.glimpse.yml': GLIMPSE_YML });

    const first: GlimpseHarness = await startGlimpseHarness(target, { database, github, dataDir });
    let firstOpen = true;
    closing.push(async () => {
      if (firstOpen) await first.close();
    });
    const id = await first.connectRepo(FULL_NAME, app.dir);
    const repo = { id, fullName: FULL_NAME, cloneUrl: `file://${app.dir}` };
    const good = app.commit('v1-pr1');
    await first.pullRequest('opened', { repo, number: 1, sha: good, updatedAt: '2024-01-01T00:00:00Z' });
    const serving = await first.waitForPhase(1, 'running');
    const broken = app.commit('v2-broken', { '.glimpse.yml': BROKEN_YML });
    await first.pullRequest('synchronize', {
      repo,
      number: 1,
      sha: broken,
      updatedAt: '2024-01-02T00:00:00Z',
    });
    const failed = await first.waitForPhase(1, 'failed');
    expect(failed.statusDetail).toContain('still serving');
    const comment = () =>
      github.comments(FULL_NAME, 1).find((c) => c.body.includes(PR_COMMENT_MARKER))?.body ?? '';
    await waitFor(() => comment().includes('is still serving at'));
    // While the previous version serves, resync leaves the failure alone.
    expect((await first.resync()).redeployed).toEqual([]);

    // Glimpse stops (its previews with it) and starts again on the same data dir and database.
    await first.close();
    firstOpen = false;
    const second = await startGlimpseHarness(target, { database, github, dataDir });
    closing.push(() => second.close());

    const body = await waitFor(
      () => (comment().includes('Failed') && !comment().includes('still serving') ? comment() : undefined),
      60_000,
      'the PR comment to stop saying the previous version serves',
    );
    expect(body).toContain('the build broke');
    const env = await second.waitForPhase(1, 'failed');
    expect(env.statusDetail).toBeNull();
    expect(await second.deploymentsOf(1)).toContainEqual(
      expect.objectContaining({ commitSha: broken, status: 'failed', trigger: 'resync' }),
    );
    // Once said, it is not tried again at every resync.
    expect((await second.resync()).redeployed).toEqual([]);
    const page = await getPreview(second.runtime as LocalRuntime, serving.namespace);
    expect(page.status).toBe(503);
  }, 120_000);
});
