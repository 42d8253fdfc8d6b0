import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import { OpenApiMismatch, validateResponse } from '../support/github-sim/openapi-validator.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';

function jwt(appId: number, key: string, iat = Math.floor(Date.now() / 1000) - 30, exp = iat + 540): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const data = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat, exp, iss: appId })}`;
  return `${data}.${createSign('RSA-SHA256').update(data).sign(key).toString('base64url')}`;
}

describe('GitHub simulator', () => {
  let sim: GithubSimulator;
  let git: GitRepoFixture;
  beforeEach(async () => {
    git = createGitRepo({ 'README.md': 'hi\n' });
    sim = await startGithubSimulator();
    await sim.addRepo({ fullName: 'acme/web', gitDir: git.dir, installationId: 1 });
    await sim.openPullRequest({ repo: 'acme/web', headRef: 'main' });
  });
  afterEach(async () => {
    await sim.close();
    git.remove();
  });

  const token = async (key = sim.privateKey, installation = 1) =>
    fetch(`${sim.url}/app/installations/${installation}/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt(sim.appId, key)}` },
    });

  it('issues installation tokens only for a JWT signed with the App key', async () => {
    const ok = await token();
    expect(ok.status).toBe(201);
    const body = (await ok.json()) as { token: string; expires_at: string };
    expect(body.token).toMatch(/^ghs_/);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(59 * 60_000);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
    expect((await token(other.toString())).status).toBe(401);
    expect((await token(sim.privateKey, 99)).status).toBe(404);
    const stale = jwt(
      sim.appId,
      sim.privateKey,
      Math.floor(Date.now() / 1000) - 700,
      Math.floor(Date.now() / 1000) - 100,
    );
    const expired = await fetch(`${sim.url}/app/installations/1/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stale}` },
    });
    expect(expired.status).toBe(401);
    sim.assertClean();
  });

  it('answers 401 on repo routes without a valid installation token, with rate-limit headers', async () => {
    const anonymous = await fetch(`${sim.url}/repos/acme/web`);
    expect(anonymous.status).toBe(401);
    const forged = await fetch(`${sim.url}/repos/acme/web`, {
      headers: { authorization: 'token ghs_forged' },
    });
    expect(forged.status).toBe(401);
    const { token: valid } = (await (await token()).json()) as { token: string };
    const response = await fetch(`${sim.url}/repos/acme/web`, {
      headers: { authorization: `token ${valid}` },
    });
    expect(response.status).toBe(200);
    for (const name of ['limit', 'remaining', 'used', 'reset', 'resource']) {
      expect(response.headers.get(`x-ratelimit-${name}`)).toBeTruthy();
    }
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBe(4999);
    sim.assertClean();
  });

  it('flags a request to a route it does not know', async () => {
    const { token: valid } = (await (await token()).json()) as { token: string };
    const response = await fetch(`${sim.url}/repos/acme/web/branches`, {
      headers: { authorization: `token ${valid}` },
    });
    expect(response.status).toBe(404);
    expect(sim.unexpectedRequests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/web/branches',
    ]);
    expect(() => sim.assertClean()).toThrow(/unexpected request GET \/repos\/acme\/web\/branches/);
  });

  it('paginates comments with Link rel=next and rel=last', async () => {
    for (let i = 0; i < 5; i++) sim.addComment('acme/web', 1, `c${i}`, 'someone');
    const { token: valid } = (await (await token()).json()) as { token: string };
    const response = await fetch(`${sim.url}/repos/acme/web/issues/1/comments?per_page=2`, {
      headers: { authorization: `token ${valid}` },
    });
    const link = response.headers.get('link') ?? '';
    expect(link).toContain(`<${sim.url}/repos/acme/web/issues/1/comments?per_page=2&page=2>; rel="next"`);
    expect(link).toContain('page=3>; rel="last"');
    expect(((await response.json()) as Array<{ body: string }>).map((c) => c.body)).toEqual(['c0', 'c1']);
    sim.assertClean();
  });

  it("rejects a response that does not match GitHub's OpenAPI description", () => {
    expect(() =>
      validateResponse('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 200, { number: 1 }),
    ).toThrow(OpenApiMismatch);
    expect(() =>
      validateResponse('POST', '/app/installations/{installation_id}/access_tokens', 201, {
        token: 'ghs_x',
        expires_at: '2026-01-01T00:00:00Z',
      }),
    ).not.toThrow();
    // OpenAPI 3.0 `nullable: true`: a comment's user may be null, but not a string.
    const comment = {
      id: 1,
      node_id: 'IC_1',
      url: 'https://api.github.com/repos/a/b/issues/comments/1',
      html_url: 'https://github.com/a/b/pull/1#issuecomment-1',
      issue_url: 'https://api.github.com/repos/a/b/issues/1',
      user: null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
    const route = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
    expect(() => validateResponse('POST', route, 201, comment)).not.toThrow();
    expect(() => validateResponse('POST', route, 201, { ...comment, user: 'octocat' })).toThrow(
      OpenApiMismatch,
    );
  });
});
