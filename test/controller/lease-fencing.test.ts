import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentUpdates } from '../../src/controller/environment-updates.ts';
import { GithubFeedback } from '../../src/controller/github-feedback.ts';
import { LeaseLost } from '../../src/controller/lease-lost.ts';
import { claimWork, type Lease, releaseLease, renewLease } from '../../src/controller/leases.ts';
import { announceQueuePositions } from '../../src/controller/queue-notices.ts';
import { loadWorkItem, type WorkItem } from '../../src/controller/work-item.ts';
import type { Database } from '../../src/db/database.ts';
import { eq, sql } from '../../src/db/drizzle-orm.ts';
import { environments, repos } from '../../src/db/schema.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import { createRedactor } from '../../src/domain/redactor.ts';
import { createGithubApp } from '../../src/github/create-github-app.ts';
import { previewEnvironmentName } from '../../src/github/deployment-feedback.ts';
import { createGithubClient } from '../../src/github/github-client.ts';
import { INSTALLATION } from '../support/connect-repo.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { seedTeam } from '../support/seed-previews.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/fenced';
const POST_COMMENT = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
/** One Glimpse process: its queue notices and its deploy workers share this owner id. */
const OWNER = 'replica-a';
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let github: GithubSimulator;
let git: GitRepoFixture;
let githubRepoId: number;

beforeAll(async () => {
  github = await startGithubSimulator();
  git = createGitRepo({ 'README.md': 'fenced\n' });
  ({ id: githubRepoId } = await github.addRepo({
    fullName: FULL_NAME,
    gitDir: git.dir,
    installationId: INSTALLATION.id,
  }));
});
afterAll(async () => {
  await github.close();
  git.remove();
});

describe.each(databaseTargets())('fenced leases (%s)', (target) => {
  let database: TestDatabase;
  let db: Database;
  let repoId: string;
  let updates: EnvironmentUpdates;
  let feedback: GithubFeedback;

  beforeEach(async () => {
    database = await createTestDatabase(target);
    db = database.handle.db;
    const teamId = await seedTeam(db, 'acme');
    const [repo] = await db
      .insert(repos)
      .values({ githubId: githubRepoId, fullName: FULL_NAME, installationId: INSTALLATION.id, teamId })
      .returning({ id: repos.id });
    repoId = repo?.id ?? '';
    updates = new EnvironmentUpdates(db, logger, () => new Date());
    feedback = feedbackSpacedBy(0);
  });
  /** What one replica tells GitHub, its writes at least `minWriteIntervalMs` apart (1 s in production). */
  const feedbackSpacedBy = (minWriteIntervalMs: number) =>
    new GithubFeedback({
      github: createGithubClient(
        createGithubApp({
          appId: github.appId,
          privateKey: github.privateKey,
          apiUrl: github.url,
          logger,
          retryBaseMs: 20,
          minWriteIntervalMs,
        }),
      ),
      updates,
      publicUrl: 'http://glimpse.test',
      redactor: createRedactor([]),
      logger,
      now: () => new Date(),
    });
  afterEach(async () => {
    await database.close();
  });

  /** Each database target has its own PRs on the one GitHub simulator. */
  const pr = (n: number) => (target === 'postgres' ? 100 : 0) + n;

  /** A PR just opened (first generation, nothing deployed), waiting for a deploy slot since `since`. */
  async function waiting(n: number, since: Date, lease?: { owner: string; until: Date }) {
    const number = pr(n);
    const sha = git.commit({ [`pr-${number}.txt`]: randomUUID() }, { branch: `feature-${number}` });
    await github.openPullRequest({ repo: FULL_NAME, number, headRef: `feature-${number}`, headSha: sha });
    const [env] = await db
      .insert(environments)
      .values({
        repoId,
        prNumber: number,
        namespace: `pr-fenced-${number}`,
        headSha: sha,
        updatedAt: since,
        ...(lease === undefined
          ? {}
          : { leaseOwner: lease.owner, leaseToken: randomUUID(), leaseUntil: lease.until }),
      })
      .returning({ id: environments.id });
    return env?.id ?? '';
  }
  const row = async (id: string) => {
    const [env] = await db.select().from(environments).where(eq(environments.id, id));
    if (env === undefined) throw new Error(`no environment ${id}`);
    return env;
  };
  /** The lease ran out (its holder paused or died) without anyone noticing yet. */
  const expireLease = (id: string) =>
    db.execute(sql`update environments set lease_until = now() - interval '1 second' where id = ${id}`);
  const item = async (id: string, lease: Lease): Promise<WorkItem> => {
    const loaded = await loadWorkItem(db, id, lease);
    if (loaded === undefined) throw new Error(`no environment ${id}`);
    return loaded;
  };
  const glimpseComments = (n: number) =>
    github.comments(FULL_NAME, pr(n)).filter((c) => c.body.includes(PR_COMMENT_MARKER));

  /**
   * Issue 20, items 1 and 3: the queue notice of PR `first` is slow (GitHub takes 4 s) and longer than a
   * lease, PR `first + 1` waits behind it; meanwhile a worker of the same process claims that one and
   * deploys it.
   */
  async function noticeOutlivesItsLease(first: number) {
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
    const slow = await waiting(first, minutesAgo(3));
    const deployed = await waiting(first + 1, minutesAgo(2));
    github.slowNext(POST_COMMENT, 4_000, 1);
    const notices = announceQueuePositions({
      db,
      owner: OWNER,
      leaseMs: 1_500,
      updates,
      feedback,
      waitedMs: 0,
    });
    await waitFor(async () => (await row(slow)).commentRequestedAt !== null, 10_000, 'the first notice');
    await sleep(2_000); // longer than the notice's lease: unless renewed, it has run out
    const claimed = await claimWork(db, OWNER, 60_000, 10, 'deploy');
    const worker = claimed.find((c) => c.id === deployed);
    if (worker === undefined) throw new Error('the worker could not claim the second PR');
    const work = await item(deployed, { owner: OWNER, token: worker.token });
    await updates.setPhase(work, 'start-deploy');
    await updates.observe(work, 1, 'succeed', { statusDetail: null, url: 'http://pr-fenced.test/12' });
    const told = await notices;
    return { slow, deployed, worker, told };
  }

  it('a queue notice slower than its lease never leaves a preview deployed meanwhile pending (item 1)', async () => {
    const { deployed } = await noticeOutlivesItsLease(11);
    expect(await row(deployed)).toMatchObject({
      phase: 'running',
      generation: 1,
      observedGeneration: 1,
      statusDetail: null,
    });
  }, 30_000);

  it('a queue notice neither releases nor comments on an environment a worker holds (item 3)', async () => {
    const { slow, deployed, worker, told } = await noticeOutlivesItsLease(13);
    expect((await row(deployed)).leaseToken).toBe(worker.token);
    expect(glimpseComments(14)).toEqual([]);
    // The slow notice itself went through, under a lease it kept renewed, and let its environment go.
    expect(told).toBe(1);
    expect(await row(slow)).toMatchObject({ phase: 'pending', leaseOwner: null, leaseToken: null });
    expect((await row(slow)).statusDetail).toMatch(/^Queued: .*position 1/);
    expect(glimpseComments(13)).toHaveLength(1);
  }, 30_000);

  it('an attempt whose lease its own process claimed again writes, renews and releases nothing (item 2)', async () => {
    const id = await waiting(1, new Date());
    const [stale] = await claimWork(db, OWNER, 60_000, 1, 'deploy');
    await expireLease(id);
    const [fresh] = await claimWork(db, OWNER, 60_000, 1, 'deploy');
    if (stale === undefined || fresh === undefined) throw new Error('nothing claimed');
    expect(fresh.id).toBe(id);
    expect(fresh.token).not.toBe(stale.token);
    const staleItem = await item(id, { owner: OWNER, token: stale.token });
    const freshItem = await item(id, { owner: OWNER, token: fresh.token });
    await updates.setPhase(freshItem, 'start-deploy');
    const started = await updates.startDeployment(freshItem, 1);

    await expect(updates.setPhase(staleItem, 'retry-later')).rejects.toBeInstanceOf(LeaseLost);
    await expect(updates.startDeployment(staleItem, 1)).rejects.toBeInstanceOf(LeaseLost);
    await expect(updates.finishDeployment(staleItem, started.id, 'canceled')).rejects.toBeInstanceOf(
      LeaseLost,
    );
    expect(await renewLease(db, id, staleItem.lease, 60_000)).toBeUndefined();
    await releaseLease(db, id, staleItem.lease);

    expect(await row(id)).toMatchObject({ phase: 'building', leaseOwner: OWNER, leaseToken: fresh.token });
    expect(await renewLease(db, id, freshItem.lease, 60_000)).toBe(1);
  });

  it('claims every environment whose lease ran out before any still waiting, in one pass (item 4)', async () => {
    const waitingLong = [];
    for (const n of [31, 32, 33]) waitingLong.push(await waiting(n, new Date(Date.now() - 600_000)));
    const abandoned = [];
    for (const n of [34, 35, 36]) {
      abandoned.push(
        await waiting(n, new Date(), { owner: 'replica-killed', until: new Date(Date.now() - 1_000) }),
      );
    }
    const claimed = await claimWork(db, 'replica-b', 60_000, 3, 'deploy');
    expect(new Set(claimed.map((c) => c.id))).toEqual(new Set(abandoned));
    const next = await claimWork(db, 'replica-b', 60_000, 3, 'deploy');
    expect(new Set(next.map((c) => c.id))).toEqual(new Set(waitingLong));
  });

  it('finds the comment an attempt created but could not record before its lease was taken over (item 2)', async () => {
    const id = await waiting(21, new Date());
    const [first] = await claimWork(db, 'replica-a', 60_000, 1, 'deploy');
    if (first === undefined) throw new Error('nothing claimed');
    const dying = await item(id, { owner: 'replica-a', token: first.token });
    github.slowNext(POST_COMMENT, 1_500, 1);
    const sentBefore = github.requestsTo(POST_COMMENT).length;
    const posting = feedback.comment(dying, { status: 'building' }, { mayExist: false });
    await waitFor(
      async () => github.requestsTo(POST_COMMENT).length > sentBefore,
      10_000,
      'the comment to reach GitHub',
    );
    expect((await row(id)).commentRequestedAt).not.toBeNull();
    // Replica a stalls with its request in flight; its lease runs out and replica b takes over.
    await expireLease(id);
    const [second] = await claimWork(db, 'replica-b', 60_000, 1, 'deploy');
    if (second === undefined) throw new Error('the takeover claimed nothing');
    const takeover = await item(id, { owner: 'replica-b', token: second.token });
    await expect(posting).rejects.toBeInstanceOf(LeaseLost);
    expect(glimpseComments(21)).toHaveLength(1);
    expect((await row(id)).commentId).toBeNull();

    // By the attempt's own memory the environment is brand new (first generation, no deployment before).
    await feedback.comment(
      takeover,
      { status: 'running', previewUrl: 'http://pr-fenced.test/21' },
      { mayExist: false },
    );
    const comments = glimpseComments(21);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('http://pr-fenced.test/21');
    expect((await row(id)).commentId).toBe(comments[0]?.id);
  });

  it('a deletion after a crash between recording a success and sending it leaves no deployment active', async () => {
    const id = await waiting(51, new Date());
    const [claim] = await claimWork(db, 'replica-a', 60_000, 1, 'deploy');
    if (claim === undefined) throw new Error('nothing claimed');
    const live = await item(id, { owner: 'replica-a', token: claim.token });
    const first = await updates.startDeployment(live, 1);
    await feedback.deploymentStarted(live, first.id);
    await updates.finishDeployment(live, first.id, 'succeeded');
    await feedback.deploymentSucceeded(live, 'http://pr-fenced.test/51');
    // A later deploy is recorded as succeeded; its process dies before GitHub hears of it.
    const second = await updates.startDeployment(live, 2);
    await feedback.deploymentStarted(live, second.id);
    await updates.finishDeployment(live, second.id, 'succeeded');
    await releaseLease(db, id, { owner: 'replica-a', token: claim.token });

    // Another replica deletes the preview.
    await db.execute(sql`update environments set generation = 3 where id = ${id}`);
    const [takeover] = await claimWork(db, 'replica-b', 60_000, 1, 'deploy');
    if (takeover === undefined) throw new Error('nothing claimed');
    const deleting = await item(id, { owner: 'replica-b', token: takeover.token });
    await feedback.deploymentInactive(deleting, await updates.githubDeploymentsMaybeActive(deleting));
    const ours = github
      .deployments(FULL_NAME)
      .filter((d) => d.environment === previewEnvironmentName(pr(51)));
    expect(ours.map((d) => d.statuses.at(-1)?.state)).toEqual(['inactive', 'inactive']);
    expect((await row(id)).githubMaybeActive).toEqual([]);
  });

  it('a GitHub write waiting for its turn is not sent once another attempt holds the environment', async () => {
    const id = await waiting(41, new Date());
    const [first] = await claimWork(db, 'replica-a', 60_000, 1, 'deploy');
    if (first === undefined) throw new Error('nothing claimed');
    const stalled = await item(id, { owner: 'replica-a', token: first.token });
    const spaced = feedbackSpacedBy(2_000);
    await updates.setPhase(stalled, 'start-deploy');
    const started = await updates.startDeployment(stalled, 1);
    await spaced.deploymentStarted(stalled, started.id);
    const deployment = github.deployments(FULL_NAME).find((d) => d.id === stalled.env.githubDeploymentId);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress']);

    // The success waits its turn, 2 s after the in-progress status; meanwhile replica b takes over.
    const success = spaced.deploymentSucceeded(stalled, 'http://pr-fenced.test/41');
    await sleep(300);
    await expireLease(id);
    const [second] = await claimWork(db, 'replica-b', 60_000, 1, 'deploy');
    expect(second?.id).toBe(id);
    await expect(success).rejects.toBeInstanceOf(LeaseLost);
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress']);
  }, 30_000);
});
