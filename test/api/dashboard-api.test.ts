import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/services/github-app/secret-box.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

describe.each(databaseTargets())('the dashboard API routes on %s', (target) => {
  let server: ApiServer;
  let world: PreviewWorld;

  beforeAll(async () => {
    server = await startApiServer(target, {
      sessionSecret: 's'.repeat(32),
      secretBox: createSecretBox('k'.repeat(32)),
    });
    world = await seedPreviewWorld(server.db);
  });
  afterAll(async () => {
    await server.close();
  });

  const call = async (token: string, path: string, method = 'GET') => {
    const response = await server.fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists the repositories of your teams with their count of previews; administrators see all', async () => {
    const member = await call(world.tokens.member, '/repos');
    expect(member.status).toBe(200);
    expect(member.body.items).toEqual([
      expect.objectContaining({ fullName: 'acme/web', team: 'acme', enabled: true, previews: 2 }),
    ]);
    const admin = await call(world.tokens.glimpseAdmin, '/repos');
    expect((admin.body.items as { fullName: string }[]).map((r) => r.fullName)).toEqual([
      'acme/web',
      'globex/shop',
    ]);
  });

  it('says which GitHub App runs and where to connect one: the start path to administrators only', async () => {
    const admin = await call(world.tokens.glimpseAdmin, '/github-app');
    expect(admin).toEqual({
      status: 200,
      body: { appId: null, stored: null, restartNeeded: false, connectPath: '/api/github/app/new' },
    });
    const member = await call(world.tokens.member, '/github-app');
    expect(member.body).toMatchObject({ appId: null, connectPath: null });
  });

  it('shows deliveries and the audit log to administrators only, saying why to others', async () => {
    for (const path of ['/deliveries', '/audit']) {
      const member = await call(world.tokens.member, path);
      expect(member.status).toBe(403);
      expect(JSON.stringify(member.body)).toContain('Only Glimpse administrators');
      expect((await call(world.tokens.glimpseAdmin, path)).status).toBe(200);
    }
    await call(world.tokens.member, `/environments/${world.running.namespace}`, 'DELETE');
    const audit = await call(world.tokens.glimpseAdmin, '/audit');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        actor: 'mia',
        action: 'delete',
        target: world.running.namespace,
        outcome: 'denied',
      }),
    );
  });

  it('sorts the list by creation or by least recent activity, paging with cursors of that order', async () => {
    const pages = async (sort: string) => {
      const namespaces: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          world.tokens.glimpseAdmin,
          `/environments?sort=${sort}&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`,
        );
        expect(page.status).toBe(200);
        namespaces.push(...(page.body.items as { namespace: string }[]).map((e) => e.namespace));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      return namespaces;
    };
    const updated = await pages('updated');
    expect(await pages('stale')).toEqual([...updated].reverse());
    // Seeded in PR order, so the newest created is the last one.
    expect(await pages('created')).toEqual([
      world.foreign.namespace,
      world.failed.namespace,
      world.running.namespace,
    ]);
    const first = await call(world.tokens.glimpseAdmin, '/environments?sort=created&limit=1');
    const mixed = await call(
      world.tokens.glimpseAdmin,
      `/environments?limit=1&cursor=${String(first.body.nextCursor)}`,
    );
    expect(mixed.status).toBe(400);
    expect(JSON.stringify(mixed.body)).toContain('another sort order');
  });

  it('measures CPU and memory of the running environments on a list page only when asked', async () => {
    server.runtime.observed.set(world.running.namespace, {
      exists: true,
      workloads: [
        {
          name: 'app',
          phase: 'running',
          ready: true,
          restarts: 0,
          startedAt: undefined,
          cpuMillicores: 120,
          memoryBytes: 64 * 2 ** 20,
        },
      ],
    });
    type Page = { items: { namespace: string; resources: { usage: unknown } }[] };
    const usageOf = (page: Page, namespace: string) =>
      page.items.find((e) => e.namespace === namespace)?.resources.usage;
    const measured = (await call(world.tokens.member, '/environments?usage=true')).body as unknown as Page;
    expect(usageOf(measured, world.running.namespace)).toEqual({
      cpuMillicores: 120,
      memoryBytes: 64 * 2 ** 20,
    });
    expect(usageOf(measured, world.failed.namespace)).toBeNull();
    const plain = (await call(world.tokens.member, '/environments')).body as unknown as Page;
    expect(usageOf(plain, world.running.namespace)).toBeNull();
  });

  it('creates, lists and revokes your own API tokens; another person’s token is not found', async () => {
    const created = await call(world.tokens.member, '/tokens?name=laptop', 'POST');
    expect(created.status).toBe(201);
    const token = String(created.body.token);
    expect(token).toMatch(/^glp_/);
    expect((await call(token, '/me')).body).toMatchObject({ login: 'mia' });
    const listed = await call(world.tokens.member, '/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ id: created.body.id, name: 'laptop' }),
    );
    expect((await call(world.tokens.outsider, `/tokens/${String(created.body.id)}`, 'DELETE')).status).toBe(
      404,
    );
    expect((await call(world.tokens.member, `/tokens/${String(created.body.id)}`, 'DELETE')).status).toBe(
      200,
    );
    expect((await call(token, '/me')).status).toBe(401);
    expect((await call(world.tokens.member, '/tokens?name=', 'POST')).status).toBe(400);
    // A NUL cannot be stored: a 400 naming the parameter, not the database's 500 (found by the API fuzzer).
    const nul = await call(world.tokens.member, '/tokens?name=a%00b', 'POST');
    expect(nul.status).toBe(400);
    expect(JSON.stringify(nul.body)).toContain('name');
  });
});
