import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { environments, repos, webhookDeliveries } from '../../src/db/schema.ts';
import { environmentName } from '../../src/domain/environment-name.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { type Overrides, sendWebhook } from '../support/webhook-sender.ts';
import { startWebhookServer, TEST_WEBHOOK_SECRET } from '../support/webhook-server.ts';

const ACCOUNT = { login: 'acme', id: 9_100 };
const INSTALLATION = { id: 9_200, account: ACCOUNT };
const SHA = (n: number) => n.toString(16).padStart(40, 'b');

describe.each(databaseTargets())('repository identity on %s', (target) => {
  let database: TestDatabase;
  let server: { url: string; close(): Promise<void> };
  let clock = Date.parse('2025-01-01T00:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(target);
    server = await startWebhookServer(database);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const send = (event: string, action: string, overrides: Overrides) =>
    sendWebhook({ url: server.url, secret: TEST_WEBHOOK_SECRET, event, action, overrides });

  const connect = (...repositories: { id: number; full_name: string }[]) =>
    send('installation_repositories', 'added', {
      installation: INSTALLATION,
      repositories_added: repositories,
      repositories_removed: [],
    });

  /** A pull_request delivery of PR `number` of the repository with this id and name, newer than the last. */
  const pullRequest = (action: string, repo: { id: number; full_name: string }, number: number) => {
    clock += 1_000;
    return send('pull_request', action, {
      number,
      repository: { ...repo, clone_url: `https://github.com/${repo.full_name}.git` },
      pull_request: {
        number,
        updated_at: new Date(clock).toISOString(),
        head: { sha: SHA(number), ref: `feature-${number}`, repo },
        base: { repo },
      },
    });
  };

  const repoRow = async (githubId: number) =>
    (await database.handle.db.select().from(repos).where(eq(repos.githubId, githubId)))[0];
  const environmentsOf = async (githubId: number) =>
    database.handle.db
      .select({ namespace: environments.namespace, prNumber: environments.prNumber })
      .from(environments)
      .innerJoin(repos, eq(repos.id, environments.repoId))
      .where(eq(repos.githubId, githubId));

  it('connects a repository recreated under a name another GitHub id held, and records its PRs', async () => {
    const old = { id: 9_001, full_name: 'acme/site' };
    expect((await connect(old)).status).toBe(200);
    expect((await pullRequest('opened', old, 1)).status).toBe(202);
    // acme/site was deleted on GitHub without Glimpse hearing of it, and a new acme/site created.
    const recreated = { id: 9_002, full_name: 'acme/site' };
    const connected = await connect(recreated);
    expect(connected).toMatchObject({ status: 200, body: { accepted: true } });
    expect((await repoRow(9_002))?.fullName).toBe('acme/site');
    expect((await repoRow(9_001))?.fullName).toBe('acme/site#9001');
    const opened = await pullRequest('opened', recreated, 1);
    expect(opened.status).toBe(202);
    const [env] = await environmentsOf(9_002);
    expect(env?.namespace).toMatch(/^pr-site-[0-9a-f]{6}-1$/);
    // The old repository's preview keeps its name and row.
    expect(await environmentsOf(9_001)).toEqual([{ namespace: 'pr-site-1', prNumber: 1 }]);
  });

  it('connects a repository whose name differs only in case from another id’s', async () => {
    expect((await connect({ id: 9_003, full_name: 'acme/Docs' })).status).toBe(200);
    const other = await connect({ id: 9_004, full_name: 'ACME/docs' });
    expect(other.status).toBe(200);
    expect((await repoRow(9_004))?.fullName).toBe('ACME/docs');
    expect((await repoRow(9_003))?.fullName).toBe('acme/Docs#9003');
    expect((await pullRequest('opened', { id: 9_004, full_name: 'ACME/docs' }, 5)).status).toBe(202);
  });

  it('follows a rename: the name changes, the preview keeps its namespace and its pushes apply', async () => {
    const before = { id: 9_005, full_name: 'acme/api' };
    await connect(before);
    expect((await pullRequest('opened', before, 2)).status).toBe(202);
    const renamed = await send('repository', 'renamed', {
      repository: { id: 9_005, full_name: 'acme/api-v2', clone_url: 'https://github.com/acme/api-v2.git' },
      changes: { repository: { name: { from: 'api' } } },
    });
    expect(renamed).toMatchObject({ status: 200, body: { accepted: true, environments: [] } });
    const row = await repoRow(9_005);
    expect(row).toMatchObject({ fullName: 'acme/api-v2', cloneUrl: 'https://github.com/acme/api-v2.git' });
    const push = await pullRequest('synchronize', { id: 9_005, full_name: 'acme/api-v2' }, 2);
    expect(push.status).toBe(202);
    expect(await environmentsOf(9_005)).toEqual([{ namespace: 'pr-api-2', prNumber: 2 }]);
    const [env] = await database.handle.db
      .select({ generation: environments.generation, headSha: environments.headSha })
      .from(environments)
      .where(eq(environments.namespace, 'pr-api-2'));
    expect(env).toEqual({ generation: 2, headSha: SHA(2) });
  });

  it('follows a transfer, and a rename it only learns of from a pull request onto a name another id held', async () => {
    await connect({ id: 9_006, full_name: 'acme/tool' }, { id: 9_007, full_name: 'acme/tool-next' });
    const transferred = await send('repository', 'transferred', {
      repository: { id: 9_006, full_name: 'globex/tool' },
      changes: { owner: { from: { user: { login: 'acme' } } } },
    });
    expect(transferred.status).toBe(200);
    expect((await repoRow(9_006))?.fullName).toBe('globex/tool');
    // acme/tool-next was renamed to acme/tool; no repository event came, only its next pull request.
    const opened = await pullRequest('opened', { id: 9_007, full_name: 'acme/tool' }, 3);
    expect(opened.status).toBe(202);
    expect((await repoRow(9_007))?.fullName).toBe('acme/tool');
  });

  it('removes the previews of a deleted repository, and ignores repositories it does not know', async () => {
    const repo = { id: 9_008, full_name: 'acme/gone' };
    await connect(repo);
    await pullRequest('opened', repo, 4);
    // The examples hold no `deleted` or `archived` delivery: an `edited` one with that action is the same shape.
    const deleted = await send('repository', 'edited', { action: 'deleted', repository: repo });
    expect(deleted.status).toBe(202);
    expect(await repoRow(9_008)).toMatchObject({ enabled: false });
    const [env] = await database.handle.db
      .select({ desiredState: environments.desiredState })
      .from(environments)
      .where(eq(environments.namespace, 'pr-gone-4'));
    expect(env?.desiredState).toBe('closed');
    const unknown = await send('repository', 'renamed', { repository: { id: 9_999, full_name: 'x/y' } });
    expect(unknown).toMatchObject({ status: 200, body: { ignored: 'repository not connected' } });
    const archived = await send('repository', 'edited', { action: 'archived', repository: repo });
    expect(archived.body).toEqual({ ignored: 'repository archived does not affect previews' });
  });

  it('keeps namespaces unique whatever the order in which colliding names arrive', async () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const namespaces: string[] = [];
    for (const [o, order] of orders.entries()) {
      const owner = `team${o}`;
      // zed-x-<hash> is, by name, the hashed form zed.x falls back to when zed_x holds pr-zed-x-9.
      const hash = /^pr-zed-x-([0-9a-f]{6})-9$/.exec(
        environmentName(`${owner}/zed.x`, 9, { attempt: 1 }),
      )?.[1];
      const names = [`${owner}/zed_x`, `${owner}/zed-x-${hash}`, `${owner}/zed.x`];
      const repositories = names.map((full_name, i) => ({ id: 9_300 + o * 10 + i, full_name }));
      await connect(...repositories);
      for (const i of order) {
        const response = await pullRequest('opened', repositories[i] as { id: number; full_name: string }, 9);
        expect(response.status, `${names[i]} in order ${order.join(',')}`).toBe(202);
        // A redelivery of the same event changes nothing and fails nothing.
        const [recorded] = await database.handle.db
          .select({ outcome: webhookDeliveries.outcome })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.deliveryId, response.deliveryId));
        expect(recorded?.outcome).toBe('applied');
      }
      for (const repository of repositories) {
        const [env] = await environmentsOf(repository.id);
        expect(env?.namespace).toMatch(/^pr-zed-x-[-0-9a-f]*9$/);
        namespaces.push(env?.namespace ?? '');
      }
    }
    expect(new Set(namespaces).size).toBe(namespaces.length);
  });
});
