import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { cli } from '../support/cli.ts';
import { type GithubFixture, INSTALLATION_ID, startGithubFixture } from '../support/github-fixture.ts';
import { seedRepo, seedTeam, seedUser } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

describe.each(databaseTargets())('deploying a PR on request on %s', (target) => {
  let fixture: GithubFixture;
  let server: ApiServer;
  let token: string;
  let pr: number;
  let headSha: string;

  beforeAll(async () => {
    fixture = await startGithubFixture();
    headSha = fixture.git.commit({ 'app.txt': 'v2' }, { branch: 'feature' });
    pr = await fixture.sim.openPullRequest({
      repo: fixture.fullName,
      headRef: 'feature',
      title: 'Try the new look',
    });
    server = await startApiServer(target, { github: { app: fixture.app, client: fixture.github } });
    const team = await seedTeam(server.db, 'acme');
    await seedUser(server.db, 'mia', [{ teamId: team, role: 'member' }]);
    await seedRepo(server.db, 'acme/web', team);
    await server.db.execute(sql`update repos set installation_id = ${INSTALLATION_ID}`);
    token = (await createApiToken(server.db, { login: 'mia' })).token;
  });
  afterAll(async () => {
    await server.close();
    fixture.sim.assertClean();
    await fixture.close();
  });

  it('records a PR Glimpse has not seen from GitHub and asks the controller to deploy it, approved', async () => {
    const deployed = await cli(
      { GLIMPSE_URL: server.url, GLIMPSE_TOKEN: token },
      'env',
      'deploy',
      'acme/web',
      String(pr),
    );
    expect(deployed).toMatchObject({ exitCode: 0, stderr: '' });
    expect(deployed.stdout).toBe(
      `Deployment of pr-web-${pr} (acme/web#${pr}) requested; it proceeds in the background.\n`,
    );
    const [row] = await queryRows<Record<string, unknown>>(
      server.db,
      sql`select pr_title, branch, head_sha, desired_state, approved_by, requested_by, requested_trigger, generation > observed_generation as pending from environments`,
    );
    expect(row).toEqual({
      pr_title: 'Try the new look',
      branch: 'feature',
      head_sha: headSha,
      desired_state: 'active',
      approved_by: 'mia',
      requested_by: 'mia',
      requested_trigger: 'manual',
      pending: true,
    });
    expect(fixture.sim.requestsTo('GET /repos/{owner}/{repo}/pulls/{pull_number}')).toHaveLength(1);
  });

  it('refuses a closed PR with a message saying what to do', async () => {
    const closed = await fixture.sim.openPullRequest({ repo: fixture.fullName, headRef: 'feature' });
    fixture.sim.closePullRequest(fixture.fullName, closed);
    const response = await server.fetch(`${server.url}/api/v1/repos/acme/web/pulls/${closed}/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: 'CONFLICT', message: `PR #${closed} of acme/web is closed: reopen it to deploy it.` },
    });
  });
});
