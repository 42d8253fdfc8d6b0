import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { ensureBootstrapAdmin } from '../../src/services/bootstrap-admin.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { freePort } from '../support/glimpse-process.ts';
import { seedEnvironment, seedRepo } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

describe.each(databaseTargets())('signing in on %s', (target) => {
  let sim: GithubSimulator;
  let server: ApiServer;
  let bootstrapToken: string | undefined;

  beforeAll(async () => {
    sim = await startGithubSimulator();
    sim.oauth.setClient('Iv1.glimpse', 'client-secret-1');
    sim.oauth.addInstallation({ id: 501, account: 'acme', type: 'Organization' });
    sim.oauth.addInstallation({ id: 502, account: 'mia', type: 'User' });
    sim.oauth.addInstallation({ id: 503, account: 'globex', type: 'Organization' });
    sim.oauth.grantInstallation('mia', 501);
    sim.oauth.grantInstallation('mia', 502);
    sim.oauth.grantInstallation('mia', 503);
    sim.oauth.setOrgRole('acme', 'mia', 'member');
    const port = await freePort();
    server = await startApiServer(target, {
      port,
      sessionSecret: 's'.repeat(40),
      env: {
        GITHUB_API_URL: sim.url,
        GITHUB_CLIENT_ID: 'Iv1.glimpse',
        GITHUB_CLIENT_SECRET: 'client-secret-1',
        GLIMPSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
    });
    bootstrapToken = await ensureBootstrapAdmin(server.db);
  });
  afterAll(async () => {
    await server.close();
    sim.assertClean();
    await sim.close();
  });

  /** Follows the browser's way through the OAuth flow; returns the session cookie. */
  async function signIn(login: string): Promise<string> {
    sim.oauth.signIn(login);
    const start = await server.fetch(`${server.url}/auth/github/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const stateCookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${sim.url}/login/oauth/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe('Iv1.glimpse');
    const approved = await server.fetch(authorize, { redirect: 'manual' });
    const callback = approved.headers.get('location') ?? '';
    expect(callback).toMatch(new RegExp(`^${server.url}/auth/github/callback\\?code=`));
    const done = await server.fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    const session = done.headers.getSetCookie().find((c) => c.startsWith('glimpse_session='));
    expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    return (session ?? '').split(';')[0] ?? '';
  }

  const me = async (cookie: string) =>
    (await (await server.fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).json()) as {
      login: string;
      isAdmin: boolean;
      teams: { slug: string; role: string }[];
      csrfToken: string | null;
    };

  it('signs in with GitHub and joins the teams of the installations the user belongs to', async () => {
    const cookie = await signIn('mia');
    const whoami = await me(cookie);
    expect(whoami).toMatchObject({ login: 'mia', isAdmin: false, csrfToken: expect.any(String) });
    // acme: org member; mia: her own account; globex: visible but she is no member of the organisation.
    expect(whoami.teams).toEqual([
      { slug: 'acme', name: 'acme', role: 'member' },
      { slug: 'mia', name: 'mia', role: 'owner' },
    ]);
    const linked = await queryRows<{ slug: string; github_account_id: string }>(
      server.db,
      sql`select slug, github_account_id::text from teams order by slug`,
    );
    expect(linked).toEqual([
      { slug: 'acme', github_account_id: String(sim.oauth.accountId('acme')) },
      { slug: 'mia', github_account_id: String(sim.oauth.userId('mia')) },
    ]);
  });

  it('refreshes memberships at each sign-in: organisation owners become admins, lost access leaves', async () => {
    sim.oauth.setOrgRole('acme', 'mia', 'admin');
    sim.oauth.addInstallation({ id: 502, account: 'someone-else', type: 'User' });
    const whoami = await me(await signIn('mia'));
    expect(whoami.teams).toEqual([{ slug: 'acme', name: 'acme', role: 'admin' }]);
  });

  it('refuses a change with a session cookie but no CSRF token, and accepts it with one', async () => {
    const cookie = await signIn('mia');
    const { csrfToken } = await me(cookie);
    const [team] = await queryRows<{ id: string }>(server.db, sql`select id from teams where slug = 'acme'`);
    const repo = await seedRepo(server.db, 'acme/web', team?.id ?? '');
    const env = await seedEnvironment(server.db, { repoId: repo, repoFullName: 'acme/web', prNumber: 4 });
    const url = `${server.url}/api/v1/environments/${env.namespace}/redeploy`;
    const refused = await server.fetch(url, { method: 'POST', headers: { cookie } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'x-csrf-token',
    );
    const wrong = await server.fetch(url, { method: 'POST', headers: { cookie, 'x-csrf-token': 'guess' } });
    expect(wrong.status).toBe(403);
    const accepted = await server.fetch(url, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken ?? '' },
    });
    expect(accepted.status).toBe(202);
    const [row] = await queryRows<{ requested_by: string; generation: number }>(
      server.db,
      sql`select requested_by, generation from environments where id = ${env.id}`,
    );
    expect(row).toEqual({ requested_by: 'mia', generation: 2 });
  });

  it('refuses a callback whose state does not match, and a forged session cookie', async () => {
    const response = await server.fetch(`${server.url}/auth/github/callback?code=x&state=y`, {
      headers: { cookie: 'glimpse_oauth_state=z' },
    });
    expect(response.status).toBe(401);
    const forged = await server.fetch(`${server.url}/api/v1/me`, {
      headers: { cookie: 'glimpse_session=v1.AAAA.BBBB.CCCC' },
    });
    expect(forged.status).toBe(401);
  });

  it('signs the admin in once with the bootstrap token, then revokes it', async () => {
    expect(bootstrapToken).toMatch(/^glp_/);
    const asBearer = await server.fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${bootstrapToken}` },
    });
    expect(asBearer.status).toBe(401);
    const exchange = () =>
      server.fetch(`${server.url}/auth/bootstrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: bootstrapToken }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(await me(cookie)).toMatchObject({ login: 'admin', isAdmin: true });
    const second = await exchange();
    expect(second.status).toBe(401);
  });
});
