import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { safeReturnPath } from '../../src/http/routes/auth-routes.ts';
import { createLogger } from '../../src/logger.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { ensureBootstrapAdmin } from '../../src/services/bootstrap-admin.ts';
import { API_TYPES_FILE, apiTypesSource } from '../../web/generate-api-types.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';

describe('serving the dashboard', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'glimpse-dist-'));
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(
      path.join(dist, 'index.html'),
      '<!doctype html><title>Glimpse</title><div id="root"></div>',
    );
    writeFileSync(
      path.join(dist, 'assets', 'index-abc123.js'),
      `console.log(${JSON.stringify('x'.repeat(4000))});`,
    );
    database = await createTestDatabase('pglite');
    app = createApp({
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', pretty: false }),
      database: database.handle,
      webhookSecret: 'w'.repeat(32),
      dashboardDir: dist,
    });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('answers every page of the app, including a preview link, with index.html and a CSP without inline scripts', async () => {
    for (const url of ['/', '/environments/pr-web-12', '/sign-in', '/account', '/repositories']) {
      const page = await app.http.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<div id="root">');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets for a year, gzipped when asked, and leaves unknown API paths a JSON 404', async () => {
    const plain = await app.http.inject({ url: '/assets/index-abc123.js' });
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const zipped = await app.http.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    const missing = await app.http.inject({ url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('goes back only to paths of this server after signing in', () => {
    expect(safeReturnPath('/environments/pr-web-1?x=1')).toBe('/environments/pr-web-1?x=1');
    expect(safeReturnPath('//evil.example/')).toBe('/');
    expect(safeReturnPath('https://evil.example/')).toBe('/');
    expect(safeReturnPath('/\\evil.example')).toBe('/');
    expect(safeReturnPath(undefined)).toBe('/');
  });

  it('keeps the dashboard API types generated from the OpenAPI document (npm run web:types)', async () => {
    expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(await apiTypesSource());
  });
});

describe.each(databaseTargets())('signing in with a token on %s', (target) => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer(target, { sessionSecret: 's'.repeat(40) });
  });
  afterAll(async () => {
    await server.close();
  });

  const signIn = (token: string) =>
    fetch(`${server.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });

  it('turns the bootstrap token (once) or an API token into a session cookie with a CSRF token', async () => {
    const bootstrap = await ensureBootstrapAdmin(server.db);
    const first = await signIn(bootstrap ?? '');
    expect(first.status).toBe(200);
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith('glimpse_session=')) ?? '';
    expect(cookie).toMatch(/; HttpOnly; SameSite=Lax;/);
    const { csrfToken } = (await first.json()) as { csrfToken: string };
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(await me.json()).toMatchObject({ login: 'admin', csrfToken });
    const again = await signIn(bootstrap ?? '');
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already used');
    const api = await createApiToken(server.db, { login: 'admin' });
    expect((await signIn(api.token)).status).toBe(200);
    expect((await signIn(api.token)).status).toBe(200);
  });

  it('refuses an unknown token', async () => {
    const answer = await signIn('glp_not-a-real-token');
    expect(answer.status).toBe(401);
  });

  it('says which ways of signing in this server offers', async () => {
    expect(await (await fetch(`${server.url}/auth/methods`)).json()).toEqual({ github: false, token: true });
  });
});
