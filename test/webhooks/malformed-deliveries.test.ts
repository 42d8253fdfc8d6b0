import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { environments, webhookDeliveries } from '../../src/db/schema.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { type Overrides, sendWebhook } from '../support/webhook-sender.ts';
import { startWebhookServer, TEST_WEBHOOK_SECRET } from '../support/webhook-server.ts';

const REPO = { id: 186853002, full_name: 'Codertocat/Hello-World' };
const SHA = 'c'.repeat(40);

/** Signed deliveries that GitHub would never send, or sends rarely: each is answered 2xx and recorded, never a 500. */
describe.each(databaseTargets())('malformed signed deliveries on %s', (target) => {
  let database: TestDatabase;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase(target);
    server = await startWebhookServer(database);
    await sendWebhook({
      url: server.url,
      secret: TEST_WEBHOOK_SECRET,
      event: 'installation',
      action: 'created',
      overrides: { repositories: [REPO], installation: { account: { login: 'Codertocat', id: 21031067 } } },
    });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const recorded = async (deliveryId: string) =>
    (
      await database.handle.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.deliveryId, deliveryId))
    )[0];

  it('matches only real event names: one named like an object member is ignored, not run', async () => {
    for (const event of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const response = await sendWebhook({
        url: server.url,
        secret: TEST_WEBHOOK_SECRET,
        event: 'ping',
        headers: { 'x-github-event': event },
      });
      expect(response, event).toMatchObject({
        status: 200,
        body: { ignored: `${event} events do not affect previews` },
      });
      expect(await recorded(response.deliveryId)).toMatchObject({ event, outcome: 'ignored' });
    }
  });

  const pullRequest = (overrides: Overrides) =>
    sendWebhook({
      url: server.url,
      secret: TEST_WEBHOOK_SECRET,
      event: 'pull_request',
      action: 'opened',
      overrides: deepOverrides(overrides),
    });
  const deepOverrides = (overrides: Overrides): Overrides => ({
    repository: REPO,
    pull_request: { head: { sha: SHA } },
    ...overrides,
  });

  it('ignores a pull request with an out-of-range or malformed field, naming the field', async () => {
    const cases: [Overrides, string][] = [
      [{ number: 2147483648 }, 'number'],
      [{ number: 1.5 }, 'number'],
      [{ pull_request: { head: { sha: SHA }, updated_at: 'yesterday' } }, 'pull_request.updated_at'],
      [{ pull_request: { head: { sha: SHA }, title: 'a\u0000b' } }, 'pull_request.title'],
      [{ pull_request: { head: { sha: SHA, ref: 'x\u0000' } } }, 'pull_request.head.ref'],
      [{ pull_request: { head: { sha: 'not-a-sha' } } }, 'pull_request.head.sha'],
      [{ repository: { ...REPO, id: 1e300 } }, 'repository.id'],
      [{ repository: { ...REPO, id: -4 } }, 'repository.id'],
      [{ sender: { login: 'mallory\u0000' } }, 'sender.login'],
    ];
    for (const [overrides, field] of cases) {
      const response = await pullRequest(overrides);
      expect(response.status, field).toBe(200);
      const reason = (response.body as { ignored?: string }).ignored ?? '';
      expect(reason, field).toMatch(/^pull_request payload has fields Glimpse cannot use: /);
      expect(reason, field).toContain(`${field}:`);
      expect(await recorded(response.deliveryId)).toMatchObject({ outcome: 'ignored', detail: reason });
    }
    expect(await database.handle.db.select().from(environments)).toEqual([]);
  });

  it('records an action it cannot store as none, and ignores other events’ unusable fields by name', async () => {
    const action = await sendWebhook({
      url: server.url,
      secret: TEST_WEBHOOK_SECRET,
      event: 'issues',
      action: 'opened',
      overrides: { action: 'opened\u0000' },
    });
    expect(action.status).toBe(200);
    expect(await recorded(action.deliveryId)).toMatchObject({ event: 'issues', action: null });
    const installation = await sendWebhook({
      url: server.url,
      secret: TEST_WEBHOOK_SECRET,
      event: 'installation_repositories',
      action: 'added',
      overrides: { repositories_added: [{ id: 2 ** 60, full_name: 'Codertocat/big' }] },
    });
    expect(installation.status).toBe(200);
    expect((installation.body as { ignored: string }).ignored).toContain('repositories_added.0.id:');
  });

  it('still records a well-formed pull request after all of them', async () => {
    const response = await pullRequest({ number: 2147483647, pull_request: { head: { sha: SHA } } });
    expect(response.status).toBe(202);
    const [env] = await database.handle.db.select().from(environments);
    expect(env?.prNumber).toBe(2147483647);
  });
});
