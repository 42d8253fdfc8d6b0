import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { apiTokens, deployments } from '../../src/db/schema.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { cli } from '../support/cli.ts';
import { seedEnvironment, seedRepo, seedTeam, seedUser } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

describe.each(databaseTargets())('the environments API on %s', (target) => {
  let server: ApiServer;
  let token: string;
  let firstId: string;
  const get = (path: string, headers: Record<string, string> = {}) =>
    server.fetch(`${server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

  beforeAll(async () => {
    server = await startApiServer(target);
    const team = await seedTeam(server.db, 'acme');
    await seedUser(server.db, 'mia', [{ teamId: team, role: 'member' }]);
    token = (await createApiToken(server.db, { login: 'mia' })).token;
    const web = await seedRepo(server.db, 'acme/web', team);
    const api = await seedRepo(server.db, 'acme/api', team);
    // 25 environments; five share one updated_at to the microsecond, so the id breaks ties.
    const base = Date.parse('2026-11-01T00:00:00Z');
    for (let n = 1; n <= 25; n += 1) {
      const repoFullName = n % 2 === 0 ? 'acme/api' : 'acme/web';
      const env = await seedEnvironment(server.db, {
        repoId: n % 2 === 0 ? api : web,
        repoFullName,
        prNumber: n,
        phase: n % 5 === 0 ? 'failed' : n === 7 ? 'deleted' : 'running',
        title: n === 13 ? 'Add 100% discount_codes' : `Change ${n}`,
        updatedAt: new Date(n <= 5 ? base : base + n * 1000),
      });
      if (n === 1) firstId = env.id;
    }
    await server.db.execute(
      sql`update environments set updated_at = updated_at + interval '123 microseconds' where pr_number <= 5`,
    );
    await server.db.insert(deployments).values([
      {
        environmentId: firstId,
        commitSha: 'a'.repeat(40),
        generation: 1,
        trigger: 'webhook',
        status: 'failed',
        error: 'boom',
      },
      {
        environmentId: firstId,
        commitSha: 'a'.repeat(40),
        attempt: 2,
        generation: 2,
        trigger: 'retry',
        actor: 'mia',
        status: 'succeeded',
      },
    ]);
  });
  afterAll(() => server.close());

  it('pages through every visible environment once, newest activity first', async () => {
    const seen: { prNumber: number; updatedAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/environments?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        items: { prNumber: number; updatedAt: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(6);
    const numbers = seen.map((e) => e.prNumber);
    expect(numbers).toHaveLength(24); // #7 is deleted
    expect(new Set(numbers).size).toBe(24);
    expect(numbers.slice(0, 3)).toEqual([25, 24, 23]);
    expect(new Set(numbers.slice(-5))).toEqual(new Set([1, 2, 3, 4, 5]));
    const times = seen.map((e) => Date.parse(e.updatedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('records when a token was last used', async () => {
    expect((await get('/environments')).status).toBe(200);
    const [row] = await server.db.select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens);
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - (row?.lastUsedAt?.getTime() ?? 0)).toBeLessThan(60_000);
  });

  it('filters by phase, repository and text', async () => {
    const failed = (await (await get('/environments?status=failed')).json()) as {
      items: { prNumber: number }[];
    };
    expect(failed.items.map((e) => e.prNumber).sort((a, b) => a - b)).toEqual([5, 10, 15, 20, 25]);
    const deleted = (await (await get('/environments?status=deleted')).json()) as {
      items: { prNumber: number }[];
    };
    expect(deleted.items.map((e) => e.prNumber)).toEqual([7]);
    const api = (await (await get('/environments?repo=ACME/api&limit=100')).json()) as {
      items: { repo: string }[];
    };
    expect(api.items).toHaveLength(12);
    expect(new Set(api.items.map((e) => e.repo))).toEqual(new Set(['acme/api']));
    const text = (await (await get(`/environments?q=${encodeURIComponent('100% discount_')}`)).json()) as {
      items: { prNumber: number }[];
    };
    expect(text.items.map((e) => e.prNumber)).toEqual([13]);
    const none = (await (await get('/environments?q=%25%25')).json()) as { items: unknown[] };
    expect(none.items).toEqual([]);
  });

  it('answers 400 with the field named for bad parameters', async () => {
    for (const [path, field] of [
      ['/environments?limit=0', 'limit'],
      ['/environments?limit=abc', 'limit'],
      ['/environments?status=exploded', 'status'],
      ['/environments?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      [`/environments/${firstId}/logs?tailLines=0`, 'tailLines'],
      [`/environments/${firstId}/logs?tailLines=10001`, 'tailLines'],
      [`/environments/${firstId}/logs?follow=yes`, 'follow'],
      ['/environments/Not_A_Ref', 'neither an environment id nor a namespace'],
      ['/environments?q=%00', 'q'],
      [`/environments/${encodeURIComponent('é'.repeat(150))}`, 'ref'],
      ['/environments?repo=acme%00/web', 'repo'],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('INVALID_INPUT');
      expect(body.error.message).toContain(field);
    }
  });

  it('answers 400 naming the PR number when it is beyond what a pull request number can be', async () => {
    const response = await server.fetch(`${server.url}/api/v1/repos/acme/web/pulls/99999999999/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^Invalid path parameters: number: /,
    );
  });

  it('answers 401 with a Bearer challenge (RFC 6750) on the REST API and the MCP endpoint', async () => {
    for (const [path, init] of [
      ['/api/v1/environments', {}],
      ['/api/v1/me', { headers: { authorization: 'Bearer glp_not-a-token' } }],
      [
        '/api/mcp',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        },
      ],
    ] as const) {
      const response = await server.fetch(`${server.url}${path}`, init);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toMatch(/^Bearer realm="glimpse"/);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('shows one environment by id or namespace, with history, resource use and warnings', async () => {
    server.runtime.observed.set('pr-web-1', {
      exists: true,
      workloads: [
        {
          name: 'web',
          phase: 'Running',
          ready: true,
          restarts: 2,
          startedAt: undefined,
          cpuMillicores: 120,
          memoryBytes: 480 * 1024 * 1024,
        },
      ],
    });
    const byId = (await (await get(`/environments/${firstId}`)).json()) as Record<string, unknown>;
    const byNamespace = (await (await get('/environments/pr-web-1')).json()) as Record<string, unknown>;
    expect(byNamespace).toEqual({ ...byId, ageSeconds: expect.any(Number) });
    expect(byId).toMatchObject({
      id: firstId,
      namespace: 'pr-web-1',
      repo: 'acme/web',
      prNumber: 1,
      prUrl: 'https://github.com/acme/web/pull/1',
      phase: 'running',
      resources: {
        limits: { cpu: '500m', memory: '512Mi' },
        usage: { cpuMillicores: 120, memoryBytes: 480 * 1024 * 1024 },
      },
      warnings: ['memory use 480Mi is near the 512Mi limit', 'web restarted 2 time(s)'],
      deployments: [
        { attempt: 2, status: 'succeeded', trigger: 'retry', actor: 'mia' },
        { attempt: 1, status: 'failed', trigger: 'webhook', error: 'boom' },
      ],
    });
  });

  it('says whether the controller is done with the latest change, and what the environment waits for', async () => {
    await server.db.execute(
      sql`update environments set generation = observed_generation + 1, status_detail = 'Queued: waiting for a free deploy slot' where namespace = 'pr-web-13'`,
    );
    expect(await (await get('/environments/pr-web-13')).json()).toMatchObject({
      settled: false,
      statusDetail: 'Queued: waiting for a free deploy slot',
    });
    expect(await (await get('/environments/pr-web-15')).json()).toMatchObject({
      settled: true,
      statusDetail: null,
    });
  });

  it('serves logs as text, and follows them over SSE until the environment is gone', async () => {
    server.runtime.push('pr-web-3', { time: new Date('2026-11-22T01:00:00Z'), source: 'web', text: 'one' });
    server.runtime.push('pr-web-3', { time: new Date('2026-11-22T01:00:01Z'), source: 'web', text: 'two' });
    const text = await get('/environments/pr-web-3/logs?tailLines=1&timestamps=false');
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toBe('[web] two\n');

    const stream = await get('/environments/pr-web-3/logs?follow=true&tailLines=5');
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body?.getReader();
    if (!reader) throw new Error('no body');
    let received = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read();
        if (done) break;
        received += new TextDecoder().decode(value);
      }
    };
    await readUntil(/two/);
    server.runtime.push('pr-web-3', { time: new Date('2026-11-22T01:00:02Z'), source: 'web', text: 'three' });
    await readUntil(/three/);
    expect(received).toContain('data: 2026-11-22T01:00:00.000Z [web] one\n\n');
    expect(received).toContain('data: 2026-11-22T01:00:02.000Z [web] three\n\n');
    await server.db.execute(sql`update environments set phase = 'deleted' where namespace = 'pr-web-3'`);
    const started = Date.now();
    await readUntil(/event: end/);
    expect((await reader.read()).done).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.runtime.openStreams()).toBe(0);
  });

  it('stops following when the client leaves', async () => {
    const abort = new AbortController();
    const stream = await server.fetch(`${server.url}/api/v1/environments/pr-web-9/logs?follow=true`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    await stream.body?.getReader().read();
    expect(server.runtime.openStreams()).toBe(1);
    abort.abort();
    await expect.poll(() => server.runtime.openStreams(), { timeout: 3_000 }).toBe(0);
  });

  it('follows logs with "glimpse env logs -f" until the environment is gone', async () => {
    server.runtime.push('pr-web-11', {
      time: new Date('2026-11-22T02:00:00Z'),
      source: 'web',
      text: 'hello',
    });
    const following = cli(
      { GLIMPSE_URL: server.url, GLIMPSE_TOKEN: token },
      'env',
      'logs',
      '-f',
      'pr-web-11',
    );
    await expect.poll(() => server.runtime.openStreams(), { timeout: 5_000 }).toBe(1);
    await server.db.execute(sql`update environments set phase = 'deleted' where namespace = 'pr-web-11'`);
    expect(await following).toEqual({
      exitCode: 0,
      stdout: '2026-11-22T02:00:00.000Z [web] hello\n',
      stderr: '',
    });
  });

  it('publishes an OpenAPI 3.1 document of every route that validates', async () => {
    const response = await server.fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    const result = await new Validator().validate(
      document as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/audit',
      '/api/v1/deliveries',
      '/api/v1/environment-changes',
      '/api/v1/environments',
      '/api/v1/environments/{ref}',
      '/api/v1/environments/{ref}/events',
      '/api/v1/environments/{ref}/logs',
      '/api/v1/environments/{ref}/redeploy',
      '/api/v1/environments/{ref}/retry',
      '/api/v1/github-app',
      '/api/v1/me',
      '/api/v1/repos',
      '/api/v1/repos/{owner}/{repo}/pulls/{number}/deploy',
      '/api/v1/repos/{owner}/{repo}/pulls/{number}/explain',
      '/api/v1/tokens',
      '/api/v1/tokens/{id}',
    ]);
    expect(Object.keys(document.paths['/api/v1/environments/{ref}'] ?? {}).sort()).toEqual(['delete', 'get']);
  });

  it('lists environments straight from the database with "glimpse env ls" and no server', async () => {
    const env = target === 'postgres' ? { DATABASE_URL: server.database.url ?? '' } : undefined;
    if (env === undefined) return; // PGlite in memory has no data dir a CLI could open
    const listed = await cli(env, 'env', 'ls', '--status', 'failed');
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^REPO\s+PR\s+PHASE\s+HEAD\s+URL\s+UPDATED$/);
    expect(listed.stdout).toMatch(
      /acme\/api\s+#20\s+failed\s+aaaaaaa\s+http:\/\/pr-api-20\.preview\.test\s+2026-11-01T00:00:20\.000Z/,
    );
    expect(listed.stdout.trim().split('\n')).toHaveLength(6);
  });
});

describe('the per-token rate limit', () => {
  it('answers 429 with retry-after once a token used up its requests, other tokens unaffected', async () => {
    const server = await startApiServer('pglite', { env: { GLIMPSE_API_RATE_LIMIT: '3' } });
    try {
      const team = await seedTeam(server.db, 'acme');
      await seedUser(server.db, 'mia', [{ teamId: team, role: 'member' }]);
      const first = (await createApiToken(server.db, { login: 'mia' })).token;
      const second = (await createApiToken(server.db, { login: 'mia' })).token;
      const call = (token: string) =>
        server.fetch(`${server.url}/api/v1/environments`, { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 3; i += 1) expect((await call(first)).status).toBe(200);
      const limited = await call(first);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await call(second)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
