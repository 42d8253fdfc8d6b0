import { afterEach, describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors.ts';
import { createRedactor } from '../../src/domain/redactor.ts';
import { createPreviewDeployment, reportDeploymentStatus } from '../../src/github/deployment-feedback.ts';
import { type GithubFixture, startGithubFixture } from '../support/github-fixture.ts';

describe('GitHub deployments for previews', () => {
  let fixture: GithubFixture;
  afterEach(async () => {
    fixture.sim.assertClean();
    await fixture.close();
  });

  it('follows a PR through deploy, redeploy and close with the right statuses', async () => {
    fixture = await startGithubFixture();
    const { sim, git, github, repo, fullName } = fixture;
    const sha1 = git.commit({ 'app.txt': 'v1' }, { branch: 'feature' });
    const pr = await sim.openPullRequest({ repo: fullName, headRef: 'feature' });
    // A red status on the commit must not block a preview (required_contexts: []).
    sim.setCommitStatus(fullName, sha1, { context: 'ci/test', state: 'failure' });

    const first = await createPreviewDeployment(github, { repo, prNumber: pr, sha: sha1 });
    await reportDeploymentStatus(
      github,
      repo,
      first,
      { state: 'in_progress', logUrl: 'https://g.example/l/1' },
      createRedactor([]),
    );
    await reportDeploymentStatus(
      github,
      repo,
      first,
      {
        state: 'success',
        environmentUrl: 'https://pr-web-1.preview.example',
        logUrl: 'https://g.example/l/1',
      },
      createRedactor([]),
    );

    const sha2 = git.commit({ 'app.txt': 'v2' }, { branch: 'feature' });
    const second = await createPreviewDeployment(github, { repo, prNumber: pr, sha: sha2 });
    await reportDeploymentStatus(
      github,
      repo,
      second,
      {
        state: 'failure',
        logUrl: 'https://g.example/l/2',
        reason: 'crashed: token ghp_0123456789abcdefghijABCDEFGHIJ012345',
      },
      createRedactor([]),
    );
    sim.closePullRequest(fullName, pr);
    await reportDeploymentStatus(
      github,
      repo,
      second,
      { state: 'inactive', logUrl: 'https://g.example/l/2' },
      createRedactor([]),
    );

    const [d1, d2] = sim.deployments(fullName);
    expect(d1).toMatchObject({
      sha: sha1,
      environment: `preview/pr-${pr}`,
      transientEnvironment: false,
      productionEnvironment: false,
      requiredContexts: [],
      autoMerge: false,
    });
    expect(d1?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(d1?.statuses[1]).toMatchObject({
      environmentUrl: 'https://pr-web-1.preview.example',
      logUrl: 'https://g.example/l/1',
    });
    expect(d2?.sha).toBe(sha2);
    expect(d2?.statuses.map((s) => s.state)).toEqual(['failure', 'inactive']);
    expect(d2?.statuses[0]?.description).toContain('crashed');
    expect(d2?.statuses[0]?.description).not.toContain('ghp_');
  });

  it('reports a refused deployment as a domain error', async () => {
    fixture = await startGithubFixture();
    const { github, repo } = fixture;
    await expect(
      github.createDeployment(repo, {
        ref: 'main',
        environment: 'preview/pr-1',
        description: 'x',
        transientEnvironment: true,
        productionEnvironment: false,
        requiredContexts: ['ci/never-reported'],
        autoMerge: false,
      }),
    ).rejects.toBeInstanceOf(Conflict);
  });
});
