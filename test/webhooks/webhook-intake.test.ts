import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { WORK_CHANNEL } from '../../src/db/notify-work.ts';
import { environments, repos, teams, webhookDeliveries } from '../../src/db/schema.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { type Overrides, sendWebhook } from '../support/webhook-sender.ts';
import { startWebhookServer, TEST_WEBHOOK_SECRET } from '../support/webhook-server.ts';

const REPO = { id: 186853002, full_name: 'Codertocat/Hello-World' };
const OTHER_REPO = { id: 4242, full_name: 'Codertocat/other-app' };
const SHA = (n: number) => n.toString(16).padStart(40, 'a');

describe.each(databaseTargets())('webhook intake on %s', (target) => {
  let database: TestDatabase;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase(target);
    server = await startWebhookServer(database);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const send = (event: string, action: string | undefined, overrides: Overrides = {}, deliveryId?: string) =>
    sendWebhook({
      url: server.url,
      secret: TEST_WEBHOOK_SECRET,
      event,
      ...(action === undefined ? {} : { action }),
      overrides,
      ...(deliveryId === undefined ? {} : { deliveryId }),
    });

  /** A pull_request delivery for PR `number` of the connected repo, at `sha`, as of `updatedAt`. */
  const pr = (action: string, number: number, sha: string, updatedAt: string, extra: Overrides = {}) =>
    send('pull_request', action, {
      number,
      pull_request: { number, updated_at: updatedAt, head: { sha, ref: `feature-${number}` }, ...extra },
    });

  async function environment(number: number) {
    const [row] = await database.handle.db
      .select()
      .from(environments)
      .innerJoin(repos, eq(repos.id, environments.repoId))
      .where(eq(environments.prNumber, number));
    return row?.environments;
  }

  async function delivery(id: string) {
    const [row] = await database.handle.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.deliveryId, id));
    return row;
  }

  describe('refuses what is not a valid GitHub delivery', () => {
    it('401 without a signature or with a wrong one, and records nothing', async () => {
      const missing = await sendWebhook({
        url: server.url,
        secret: TEST_WEBHOOK_SECRET,
        event: 'ping',
        omitHeaders: ['x-hub-signature-256'],
      });
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      const wrong = await sendWebhook({ url: server.url, secret: 'not-the-secret-at-all', event: 'ping' });
      expect(wrong.status).toBe(401);
      expect(await delivery(wrong.deliveryId)).toBeUndefined();
    });

    it('400 without the event or delivery header, or with a body that is not JSON', async () => {
      for (const header of ['x-github-event', 'x-github-delivery'] as const) {
        const response = await sendWebhook({
          url: server.url,
          secret: TEST_WEBHOOK_SECRET,
          event: 'ping',
          omitHeaders: [header],
        });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ error: { code: 'INVALID_INPUT' } });
      }
      const notJson = await sendWebhook({
        url: server.url,
        secret: TEST_WEBHOOK_SECRET,
        event: 'ping',
        rawBody: 'payload=%7B%7D',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(notJson.status).toBe(400);
      expect(notJson.body).toEqual({
        error: { code: 'INVALID_INPUT', message: 'The delivery body is not JSON.' },
      });
    });

    it('413 for a body over GitHub’s 25 MB limit', async () => {
      const huge = JSON.stringify({ zen: 'x'.repeat(26 * 1024 * 1024) });
      const response = await sendWebhook({
        url: server.url,
        secret: TEST_WEBHOOK_SECRET,
        event: 'ping',
        rawBody: huge,
      });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    });
  });

  it('answers ping and ignores events that do not affect previews, recording them', async () => {
    expect((await send('ping', undefined)).status).toBe(200);
    const issues = await send('issues', 'opened');
    expect(issues).toMatchObject({ status: 200, body: { ignored: 'issues events do not affect previews' } });
    expect(await delivery(issues.deliveryId)).toMatchObject({
      event: 'issues',
      action: 'opened',
      outcome: 'ignored',
    });
  });

  it('ignores pull requests of a repository that is not connected', async () => {
    const response = await pr('opened', 1, SHA(1), '2024-01-01T00:00:00Z');
    expect(response).toMatchObject({ status: 200, body: { ignored: 'repository not connected' } });
    expect(await environment(1)).toBeUndefined();
  });

  it('connects an installation’s repositories to a team named after its account', async () => {
    const response = await send('installation', 'created', {
      repositories: [REPO],
      installation: { account: { login: 'Codertocat', id: 21031067 } },
    });
    expect(response).toMatchObject({ status: 200, body: { accepted: true, environments: [] } });
    const [team] = await database.handle.db.select().from(teams).where(eq(teams.slug, 'codertocat'));
    expect(team).toMatchObject({ githubAccountId: 21031067 });
    const [repo] = await database.handle.db.select().from(repos).where(eq(repos.githubId, REPO.id));
    expect(repo).toMatchObject({
      fullName: REPO.full_name,
      teamId: team?.id,
      enabled: true,
      installationId: 957387,
    });
  });

  it('records an opened PR as an active environment at its head', async () => {
    const response = await pr('opened', 2, SHA(2), '2024-01-01T00:00:00Z');
    expect(response.status).toBe(202);
    expect(await environment(2)).toMatchObject({
      namespace: 'pr-hello-world-2',
      desiredState: 'active',
      headSha: SHA(2),
      generation: 1,
      observedGeneration: 0,
      phase: 'pending',
      branch: 'feature-2',
      isFork: false,
      requestedTrigger: 'webhook',
    });
    const [repo] = await database.handle.db.select().from(repos).where(eq(repos.githubId, REPO.id));
    expect(repo?.cloneUrl).toBe('https://github.com/Codertocat/Hello-World.git');
  });

  it('bumps the generation on a push, and a redelivery changes nothing', async () => {
    const deliveryId = randomUUID();
    const push = await send(
      'pull_request',
      'synchronize',
      { number: 2, pull_request: { number: 2, updated_at: '2024-01-02T00:00:00Z', head: { sha: SHA(22) } } },
      deliveryId,
    );
    expect(push.status).toBe(202);
    expect(await environment(2)).toMatchObject({ headSha: SHA(22), generation: 2 });
    const again = await send(
      'pull_request',
      'synchronize',
      { number: 2, pull_request: { number: 2, updated_at: '2024-01-03T00:00:00Z', head: { sha: SHA(23) } } },
      deliveryId,
    );
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await environment(2)).toMatchObject({ headSha: SHA(22), generation: 2 });
  });

  it('handles the same delivery sent twice at once exactly once', async () => {
    const deliveryId = randomUUID();
    const overrides = {
      number: 2,
      pull_request: { number: 2, updated_at: '2024-01-04T00:00:00Z', head: { sha: SHA(24) } },
    };
    const responses = await Promise.all([
      send('pull_request', 'synchronize', overrides, deliveryId),
      send('pull_request', 'synchronize', overrides, deliveryId),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(await environment(2)).toMatchObject({ headSha: SHA(24), generation: 3 });
  });

  it('records pushes to many PRs that arrive together once each, and of two pushes to one PR the newer wins', async () => {
    const numbers = Array.from({ length: 12 }, (_, i) => 60 + i);
    for (const number of numbers)
      expect((await pr('opened', number, SHA(number), '2024-02-01T00:00:00Z')).status).toBe(202);
    const pushes = await Promise.all([
      ...numbers.map((number) => pr('synchronize', number, SHA(number + 1000), '2024-02-02T00:00:00Z')),
      pr('synchronize', 60, SHA(2060), '2024-02-03T00:00:00Z'),
    ]);
    expect(pushes.map((push) => push.status).filter((status) => status !== 202)).toEqual(
      // The older push to PR 60 is stale if the newer one was recorded first.
      pushes[0]?.status === 202 ? [] : [200],
    );
    for (const push of pushes) expect(await delivery(push.deliveryId)).toBeDefined();
    for (const number of numbers.slice(1))
      expect(await environment(number)).toMatchObject({ headSha: SHA(number + 1000), generation: 2 });
    expect(await environment(60)).toMatchObject({ headSha: SHA(2060) });
  });

  it('ignores an event older than what is recorded', async () => {
    const stale = await pr('synchronize', 2, SHA(99), '2023-12-31T00:00:00Z');
    expect(stale).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('stale event') } });
    expect(await environment(2)).toMatchObject({ headSha: SHA(24), generation: 3 });
  });

  it('closes on close, stays closed on a later push, and comes back on reopen', async () => {
    const closed = await pr('closed', 2, SHA(24), '2024-01-05T00:00:00Z', { state: 'closed', merged: true });
    expect(closed.status).toBe(202);
    expect(await environment(2)).toMatchObject({ desiredState: 'closed', generation: 4 });
    const push = await pr('synchronize', 2, SHA(25), '2024-01-06T00:00:00Z');
    expect(push.body).toEqual({ ignored: 'pull request is closed' });
    expect(await environment(2)).toMatchObject({ desiredState: 'closed', headSha: SHA(24), generation: 4 });
    const reopened = await pr('reopened', 2, SHA(25), '2024-01-07T00:00:00Z', { state: 'open' });
    expect(reopened.status).toBe(202);
    expect(await environment(2)).toMatchObject({ desiredState: 'active', headSha: SHA(25), generation: 5 });
  });

  it('records a push with its outcome and wakes the controller', async () => {
    let wakeUps = 0;
    const stopListening = await database.handle.listen(WORK_CHANNEL, () => wakeUps++);
    onTestFinished(() => stopListening());
    const push = await pr('synchronize', 2, SHA(26), '2024-01-08T00:00:00Z');
    expect(push).toMatchObject({ status: 202, body: { environments: [(await environment(2))?.id] } });
    await vi.waitFor(() => expect(wakeUps).toBe(1));
    expect(await delivery(push.deliveryId)).toMatchObject({
      event: 'pull_request',
      action: 'synchronize',
      outcome: 'applied',
      processedAt: expect.any(Date),
    });
    expect(await environment(2)).toMatchObject({ headSha: SHA(26), generation: 6, attempts: 0 });
  });

  it('remembers a new clone URL and default branch that a push brings', async () => {
    const moved = await send('pull_request', 'synchronize', {
      number: 2,
      repository: {
        clone_url: 'https://github.com/Codertocat/Hello-World-moved.git',
        default_branch: 'main',
      },
      pull_request: { number: 2, updated_at: '2024-01-10T00:00:00Z', head: { sha: SHA(28) } },
    });
    expect(moved.status).toBe(202);
    const [repo] = await database.handle.db.select().from(repos).where(eq(repos.githubId, REPO.id));
    expect(repo).toMatchObject({
      cloneUrl: 'https://github.com/Codertocat/Hello-World-moved.git',
      defaultBranch: 'main',
    });
    expect(await environment(2)).toMatchObject({ headSha: SHA(28), generation: 7 });
    await pr('synchronize', 2, SHA(29), '2024-01-11T00:00:00Z');
    const [back] = await database.handle.db.select().from(repos).where(eq(repos.githubId, REPO.id));
    expect(back?.cloneUrl).toBe('https://github.com/Codertocat/Hello-World.git');
  });

  it('treats a push to a PR it never saw as an opening', async () => {
    expect((await pr('synchronize', 3, SHA(3), '2024-01-01T00:00:00Z')).status).toBe(202);
    expect(await environment(3)).toMatchObject({ desiredState: 'active', headSha: SHA(3), generation: 1 });
  });

  it('records forks, drafts and who added which label at which commit', async () => {
    const fork = {
      head: { sha: SHA(4), ref: 'patch-1', repo: { id: 999, full_name: 'stranger/Hello-World' } },
    };
    await pr('opened', 4, SHA(4), '2024-01-01T00:00:00Z', { ...fork, draft: true });
    expect(await environment(4)).toMatchObject({
      isFork: true,
      isDraft: true,
      headRepoFullName: 'stranger/Hello-World',
      labels: [],
    });
    const labeled = await send('pull_request', 'labeled', {
      number: 4,
      label: { name: 'preview' },
      sender: { login: 'maintainer' },
      pull_request: {
        ...fork,
        number: 4,
        updated_at: '2024-01-02T00:00:00Z',
        labels: [{ name: 'preview' }],
        draft: true,
      },
    });
    expect(labeled.status).toBe(202);
    expect(await environment(4)).toMatchObject({
      labels: ['preview'],
      labelSenders: { preview: 'maintainer' },
      labelShas: { preview: SHA(4) },
      generation: 2,
    });
    await pr('ready_for_review', 4, SHA(4), '2024-01-03T00:00:00Z', {
      ...fork,
      labels: [{ name: 'preview' }],
      draft: false,
    });
    expect(await environment(4)).toMatchObject({
      isDraft: false,
      labelSenders: { preview: 'maintainer' },
      generation: 3,
    });
    await send('pull_request', 'unlabeled', {
      number: 4,
      label: { name: 'preview' },
      pull_request: { ...fork, number: 4, updated_at: '2024-01-04T00:00:00Z', labels: [] },
    });
    expect(await environment(4)).toMatchObject({
      labels: [],
      labelSenders: {},
      labelShas: {},
      generation: 4,
    });
  });

  it('keeps who added a label while pushes carry it, and forgets it once a push does not', async () => {
    const fork = {
      head: { sha: SHA(4), ref: 'patch-1', repo: { id: 999, full_name: 'stranger/Hello-World' } },
    };
    await send('pull_request', 'labeled', {
      number: 4,
      label: { name: 'preview' },
      sender: { login: 'maintainer' },
      pull_request: { ...fork, number: 4, updated_at: '2024-01-05T00:00:00Z', labels: [{ name: 'preview' }] },
    });
    await pr('synchronize', 4, SHA(41), '2024-01-06T00:00:00Z', { labels: [{ name: 'preview' }] });
    expect(await environment(4)).toMatchObject({
      headSha: SHA(41),
      labelSenders: { preview: 'maintainer' },
      generation: 6,
    });
    await pr('synchronize', 4, SHA(42), '2024-01-07T00:00:00Z', { labels: [{ name: 'bug' }] });
    const pushed = await environment(4);
    expect(pushed).toMatchObject({ headSha: SHA(42), labels: ['bug'], generation: 7 });
    expect(pushed?.labelSenders).toEqual({});
  });

  it('acts on an edit only when the base branch changed', async () => {
    // The examples hold no `edited` payload: a synchronize example stands in, with its action changed.
    const title = await send('pull_request', 'synchronize', {
      action: 'edited',
      number: 3,
      changes: { title: { from: 'Old title' } },
      pull_request: {
        number: 3,
        updated_at: '2024-01-02T00:00:00Z',
        head: { sha: SHA(3) },
        title: 'New title',
      },
    });
    expect(title.body).toEqual({ ignored: 'only a change of base branch matters in an edit' });
    const base = await send('pull_request', 'synchronize', {
      action: 'edited',
      number: 3,
      changes: { base: { ref: { from: 'master' } } },
      pull_request: {
        number: 3,
        updated_at: '2024-01-03T00:00:00Z',
        head: { sha: SHA(3) },
        base: { ref: 'develop' },
      },
    });
    expect(base.status).toBe(202);
    expect(await environment(3)).toMatchObject({ baseBranch: 'develop', generation: 2 });
  });

  it('closes the environments of a repository removed from the installation', async () => {
    await send('installation_repositories', 'added', {
      installation: { id: 957387, account: { login: 'Codertocat', id: 21031067 } },
      repositories_added: [OTHER_REPO],
      repositories_removed: [],
    });
    const removed = await send('installation_repositories', 'removed', {
      installation: { id: 957387, account: { login: 'Codertocat', id: 21031067 } },
      repositories_added: [],
      repositories_removed: [REPO],
    });
    expect(removed.status).toBe(202);
    expect(await environment(3)).toMatchObject({ desiredState: 'closed', generation: 3 });
    expect(await environment(4)).toMatchObject({ desiredState: 'closed' });
    const [other] = await database.handle.db.select().from(repos).where(eq(repos.githubId, OTHER_REPO.id));
    expect(other?.enabled).toBe(true);
    const after = await pr('synchronize', 3, SHA(33), '2024-02-01T00:00:00Z');
    expect(after.body).toEqual({ ignored: 'repository disconnected' });
  });
});
