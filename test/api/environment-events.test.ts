import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resync } from '../../src/controller/resync.ts';
import { eq, sql } from '../../src/db/drizzle-orm.ts';
import { environmentEvents, teams } from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { FAST_KUBELET, fastRuntime } from '../kubernetes-runtime/runtime-fixture.ts';
import { type ApiFetch, createApiFetch } from '../support/api-fetch.ts';
import { cli } from '../support/cli.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  pullRequestOverrides,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { connectMcpClient } from '../support/mcp-client.ts';
import { seedUser } from '../support/seed-previews.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/timeline';
const IMAGE = 'ghcr.io/acme/timeline';
const FORK = { id: 777_001, fullName: 'stranger/timeline' };

/** The reasons of a timeline, without the PR comment's updates (asserted on their own). */
const reasonsOf = (items: { reason: string }[]) =>
  items.map((e) => e.reason).filter((reason) => reason !== 'CommentUpdated');

describe.each(databaseTargets())('the timeline of a preview, and why a PR has none (%s)', (target) => {
  let sim: KubeSimulator;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];
  let api: ApiFetch;
  const tokens = { member: '', outsider: '', admin: '' };
  let clock = Date.parse('2024-03-01T00:00:00Z');
  const nextUpdate = () => {
    clock += 60_000;
    return new Date(clock).toISOString();
  };
  const commit = (number: number) =>
    git.commit({ [`change-${number}.txt`]: String(Math.random()) }, { branch: `feature-${number}` });

  const rest = async (token: string, path: string) => {
    const response = await api(`${harness.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The official MCP client over Streamable HTTP, as the holder of `token`. */
  const mcpAs = (token: string) =>
    connectMcpClient(
      new StreamableHTTPClientTransport(new URL(`${harness.url}/api/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
  const events = async (token: string, ref: string) => {
    const { status, body } = await rest(token, `/environments/${ref}/events`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body.items as {
      reason: string;
      type: string;
      message: string;
      details: Record<string, unknown>;
    }[];
  };

  beforeAll(async () => {
    sim = await startKubeSimulator({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    runtime = fastRuntime(sim);
    git = createGitRepo({
      '.glimpse.yml': `skipDrafts: true\nkubernetes:\n  image: ${IMAGE}:{sha}\n  port: 8080\n`,
    });
    harness = await startGlimpseHarness(target, { runtime });
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/timeline.git' };
    api = createApiFetch(harness.url);
    const db = harness.database.handle.db;
    const [team] = await db.select().from(teams).where(eq(teams.slug, 'acme'));
    if (team === undefined) throw new Error('connecting the repo made no team "acme"');
    await seedUser(db, 'mia', [{ teamId: team.id, role: 'member' }]);
    await seedUser(db, 'otto', []);
    await seedUser(db, 'root', [], true);
    tokens.member = (await createApiToken(db, { login: 'mia' })).token;
    tokens.outsider = (await createApiToken(db, { login: 'otto' })).token;
    tokens.admin = (await createApiToken(db, { login: 'root' })).token;
  });
  afterAll(async () => {
    await harness?.close();
    await runtime?.close();
    await sim?.close();
    git?.remove();
  });

  const scripted = [
    // opened: deploys and runs
    'PullRequestOpened',
    'Building',
    'RolloutProgress',
    'Applied',
    'HealthCheckPassed',
    'Running',
    // a push whose image crashes
    'PushReceived',
    'Building',
    'RolloutProgress',
    'Applied',
    'Failed',
    // a person's retry, once the image is fixed
    'ActionBy',
    'Building',
    'RolloutProgress',
    'Applied',
    'HealthCheckPassed',
    'Running',
    // closed
    'PullRequestClosed',
    'Deleting',
    'Deleted',
  ];

  it('records open, push, failing deploy, retry and close as exactly these reasons, over REST, MCP and the CLI', async () => {
    const first = commit(1);
    await harness.pullRequest('opened', { repo, number: 1, sha: first, updatedAt: nextUpdate() });
    await harness.waitForPhase(1, 'running', 20_000);

    const broken = commit(1);
    sim.images.set(`${IMAGE}:${broken}`, { kind: 'crash', message: 'DATABASE_URL is not set' });
    await harness.pullRequest('synchronize', { repo, number: 1, sha: broken, updatedAt: nextUpdate() });
    await harness.waitForPhase(1, 'failed', 30_000);

    sim.images.clear();
    const { namespace } = await harness.environment(1);
    const retry = await api(`${harness.url}/api/v1/environments/${namespace}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.member}` },
    });
    expect(retry.status).toBe(202);
    await waitFor(async () => (await harness.environment(1)).deployedSha === broken, 30_000, 'the retry');
    await harness.waitForPhase(1, 'running', 20_000);

    await harness.pullRequest('closed', { repo, number: 1, sha: broken, updatedAt: nextUpdate() });
    await harness.waitForPhase(1, 'deleted', 20_000);

    const overRest = await events(tokens.member, namespace);
    expect(reasonsOf(overRest)).toEqual(scripted);
    expect(overRest.find((e) => e.reason === 'Failed')).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('CrashLoopBackOff'),
    });
    expect(overRest.find((e) => e.reason === 'ActionBy')).toMatchObject({
      message: 'mia asked for a retry.',
      details: { actor: 'mia', action: 'retry' },
    });
    expect(overRest.find((e) => e.reason === 'Applied')?.details).toMatchObject({
      kinds: { Deployment: 1, Service: 1 },
    });
    // The PR comment was created once and then kept up to date.
    expect(overRest.filter((e) => e.reason === 'CommentUpdated').map((e) => e.message)[0]).toBe(
      'Commented on the pull request: building.',
    );

    const mcp = await mcpAs(tokens.member);
    try {
      const result = await mcp.callTool({ name: 'get_preview_events', arguments: { namespace } });
      expect(result.isError).toBeFalsy();
      const items = (result.structuredContent as { items: { reason: string }[] }).items;
      expect(reasonsOf(items)).toEqual(scripted);
    } finally {
      await mcp.close();
    }

    const out = await cli(
      {},
      'env',
      'events',
      namespace,
      '--server',
      harness.url,
      '--token',
      tokens.member,
      '--json',
    );
    expect(out.stderr).toBe('');
    expect(reasonsOf((JSON.parse(out.stdout) as { items: { reason: string }[] }).items)).toEqual(scripted);
    const table = await cli(
      {},
      'env',
      'events',
      namespace,
      '--server',
      harness.url,
      '--token',
      tokens.member,
    );
    expect(table.stdout).toMatch(/^TIME +TYPE +REASON +MESSAGE\n/);
    expect(table.stdout).toContain('Warning  Failed');
  });

  it('records a temporary failure as Retrying with its attempt, and a deploy cut short by a push as Superseded', async () => {
    const db = harness.database.handle.db;
    sim.faults.failNext({ verb: 'patch', path: /^\/api\/v1\/namespaces\/pr-timeline-4$/ }, 1, 500);
    sim.kubelet.startDelayMs = 3_000;
    try {
      await harness.pullRequest('opened', { repo, number: 4, sha: commit(4), updatedAt: nextUpdate() });
      const { id } = await waitFor(() => harness.environment(4).catch(() => undefined), 10_000);
      // The second attempt has applied its objects and waits for its pods: a push now cuts it short.
      await waitFor(
        async () =>
          (await db.select().from(environmentEvents).where(eq(environmentEvents.environmentId, id))).some(
            (e) => e.reason === 'Applied',
          ),
        20_000,
        'the retry to apply its objects',
      );
      const pushed = commit(4);
      await harness.pullRequest('synchronize', { repo, number: 4, sha: pushed, updatedAt: nextUpdate() });
      await waitFor(
        async () => (await harness.environment(4)).deployedSha === pushed,
        30_000,
        'the push to run',
      );
    } finally {
      sim.kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
    const { namespace } = await harness.waitForPhase(4, 'running', 20_000);
    const timeline = await events(tokens.member, namespace);
    expect(reasonsOf(timeline)).toEqual([
      'PullRequestOpened',
      'Building',
      'RolloutProgress',
      'Retrying',
      'Building',
      'RolloutProgress',
      'Applied',
      'PushReceived',
      'Superseded',
      'Building',
      'RolloutProgress',
      'Applied',
      'HealthCheckPassed',
      'Running',
    ]);
    expect(timeline.find((e) => e.reason === 'Retrying')).toMatchObject({
      type: 'Warning',
      details: { attempt: 2 },
    });
  });

  it('pages the timeline with a cursor', async () => {
    const { namespace } = await harness.environment(1);
    const all = await events(tokens.member, namespace);
    const first = await rest(tokens.member, `/environments/${namespace}/events?limit=5`);
    expect((first.body.items as unknown[]).length).toBe(5);
    const second = await rest(
      tokens.member,
      `/environments/${namespace}/events?limit=200&cursor=${String(first.body.nextCursor)}`,
    );
    expect([...(first.body.items as unknown[]), ...(second.body.items as unknown[])]).toEqual(all);
    expect(second.body.nextCursor).toBeNull();
    const bad = await rest(tokens.member, `/environments/${namespace}/events?cursor=bm9wZQ`);
    expect(bad.status).toBe(400);
  });

  it('refuses the timeline and the explanation to someone who may not see the environment, as for the environment', async () => {
    const { namespace } = await harness.environment(1);
    const environment = await rest(tokens.outsider, `/environments/${namespace}`);
    const timeline = await rest(tokens.outsider, `/environments/${namespace}/events`);
    expect(environment.status).toBe(404);
    expect(timeline.status).toBe(404);
    expect(timeline.body).toEqual(environment.body);
    expect((await rest(tokens.outsider, '/repos/acme/timeline/pulls/1/explain')).status).toBe(404);

    const mcp = await mcpAs(tokens.outsider);
    try {
      for (const [name, args] of [
        ['get_preview_events', { namespace }],
        ['explain_pull_request', { repoFullName: FULL_NAME, prNumber: 1 }],
      ] as const) {
        const result = await mcp.callTool({ name, arguments: args });
        expect(result.isError, name).toBe(true);
        expect((result.content as { text: string }[])[0]?.text).toMatch(/^NOT_FOUND: /);
      }
    } finally {
      await mcp.close();
    }
    const out = await cli(
      {},
      'env',
      'events',
      namespace,
      '--server',
      harness.url,
      '--token',
      tokens.outsider,
    );
    expect(out.exitCode).not.toBe(0);
    expect(out.stderr).toContain(`No environment "${namespace}"`);
  });

  it('explains a fork without approval and a draft: an environment that waits at the gate, with the gate named', async () => {
    const forked = commit(2);
    await harness.pullRequest('opened', {
      repo,
      number: 2,
      sha: forked,
      updatedAt: nextUpdate(),
      fork: FORK,
    });
    await harness.waitForPhase(2, 'pending', 20_000);
    const draft = commit(3);
    await harness.pullRequest(
      'opened',
      { repo, number: 3, sha: draft, updatedAt: nextUpdate() },
      { pull_request: { draft: true } },
    );
    await harness.waitForPhase(3, 'pending', 20_000);

    const fork = await rest(tokens.member, '/repos/acme/timeline/pulls/2/explain');
    expect(fork.status).toBe(200);
    expect(fork.body).toMatchObject({
      repo: FULL_NAME,
      prNumber: 2,
      environment: { phase: 'pending', settled: true },
      gate: { decision: 'blocked', gate: 'fork-approval' },
      deliveries: [{ event: 'pull_request', action: 'opened', outcome: 'applied' }],
    });
    expect(reasonsOf(fork.body.events as { reason: string }[])).toEqual(['PullRequestOpened', 'GateBlocked']);
    expect((fork.body.summary as string[]).join(' ')).toContain(
      'acme/timeline#2 has no preview: the deploy gate holds it back. Pull request from a fork',
    );

    const mcp = await mcpAs(tokens.member);
    try {
      const result = await mcp.callTool({
        name: 'explain_pull_request',
        arguments: { repoFullName: FULL_NAME, prNumber: 3 },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        gate: { decision: 'blocked', gate: 'draft' },
        environment: { phase: 'pending' },
      });
      expect(reasonsOf((result.structuredContent as { events: { reason: string }[] }).events)).toEqual([
        'PullRequestOpened',
        'GateBlocked',
      ]);
    } finally {
      await mcp.close();
    }

    const out = await cli({}, 'explain', FULL_NAME, '3', '--server', harness.url, '--token', tokens.member);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain(
      'acme/timeline#3 has no preview: the deploy gate holds it back. Draft pull request',
    );
    expect(out.stdout).toMatch(/gate +blocked \(draft\)/);
  });

  it('answers for a PR that got no environment: a repository not connected, a PR closed before it was seen', async () => {
    const stray = {
      id: 990_001,
      fullName: 'acme/unconnected',
      cloneUrl: 'https://github.com/acme/unconnected.git',
    };
    const ignored = await harness.deliver(
      'pull_request',
      'opened',
      pullRequestOverrides('opened', { repo: stray, number: 7, sha: commit(7), updatedAt: nextUpdate() }),
    );
    expect(ignored.status).toBe(200);
    // Only administrators see a repository no team has connected; for them the delivery is the answer.
    expect((await rest(tokens.member, '/repos/acme/unconnected/pulls/7/explain')).status).toBe(404);
    const unconnected = await rest(tokens.admin, '/repos/acme/unconnected/pulls/7/explain');
    expect(unconnected.status).toBe(200);
    expect(unconnected.body).toMatchObject({
      environment: null,
      gate: { decision: 'not-decided' },
      deliveries: [{ action: 'opened', outcome: 'ignored', detail: 'repository not connected' }],
      events: [],
    });
    expect((unconnected.body.summary as string[])[0]).toBe(
      'acme/unconnected is not connected to Glimpse: install the Glimpse GitHub App on it to get previews.',
    );

    // The PR closes; a late push to it is ignored, and the explanation says so.
    await harness.pullRequest('closed', {
      repo,
      number: 2,
      sha: commit(2),
      updatedAt: nextUpdate(),
      fork: FORK,
    });
    await harness.waitForPhase(2, 'deleted', 20_000);
    await harness.pullRequest('synchronize', {
      repo,
      number: 2,
      sha: commit(2),
      updatedAt: nextUpdate(),
      fork: FORK,
    });
    const closed = await rest(tokens.member, '/repos/acme/timeline/pulls/2/explain');
    expect(closed.body).toMatchObject({
      environment: { phase: 'deleted' },
      deliveries: [
        { outcome: 'ignored', detail: 'pull request is closed' },
        { action: 'closed' },
        { action: 'opened' },
      ],
    });
    expect(closed.body.summary).toContain(
      'The latest delivery (pull_request synchronize) was ignored: pull request is closed.',
    );

    // The deliveries list names the repo and PR, and filters by repo.
    const list = await rest(tokens.admin, '/deliveries?repo=ACME/unconnected');
    expect(list.body.items).toEqual([
      expect.objectContaining({ repo: 'acme/unconnected', prNumber: 7, outcome: 'ignored' }),
    ]);
  });

  it('keeps each timeline to its last 200 events and 30 days, pruned by the resync pass', async () => {
    const db = harness.database.handle.db;
    const env = await harness.environment(3);
    await db.insert(environmentEvents).values(
      Array.from({ length: 250 }, (_, i) => ({
        environmentId: env.id,
        type: 'Normal' as const,
        reason: 'PushReceived' as const,
        message: `push ${i}`,
      })),
    );
    const old = await harness.environment(1);
    await db
      .update(environmentEvents)
      .set({ time: sql`now() - interval '31 days'` })
      .where(eq(environmentEvents.environmentId, old.id));
    const report = await resync({
      db,
      runtime,
      github: undefined,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    expect(report.eventsPruned).toBeGreaterThanOrEqual(52 + 20);
    const kept = await db.select().from(environmentEvents).where(eq(environmentEvents.environmentId, env.id));
    expect(kept).toHaveLength(200);
    expect(kept.map((e) => e.message)).toContain('push 249');
    expect(kept.map((e) => e.message)).not.toContain('push 49');
    expect(
      await db.select().from(environmentEvents).where(eq(environmentEvents.environmentId, old.id)),
    ).toEqual([]);
  });
});
