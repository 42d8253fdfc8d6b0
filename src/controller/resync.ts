import type { Database } from '../db/database.ts';
import { and, eq, ne, or, sql } from '../db/drizzle-orm.ts';
import { notifyWork } from '../db/notify-work.ts';
import { queryRows } from '../db/query-rows.ts';
import { eventRow } from '../db/record-environment-events.ts';
import { environmentEvents, environments, repos } from '../db/schema.ts';
import {
  type EnvironmentEvent,
  EVENTS_KEPT_DAYS,
  EVENTS_KEPT_PER_ENVIRONMENT,
  normal,
  warning,
} from '../domain/environment-event.ts';
import type { GithubClient } from '../github/github-client.ts';
import type { Logger } from '../logger.ts';
import type { Runtime } from '../runtimes/runtime.ts';
import { repoRef } from './work-item.ts';

export interface ResyncReport {
  orphansRemoved: string[];
  redeployed: string[];
  closed: string[];
  /** Timeline entries removed: beyond the last EVENTS_KEPT_PER_ENVIRONMENT or older than EVENTS_KEPT_DAYS. */
  eventsPruned: number;
}

/** An environment as resync read it: what it asks for is written only while the generation is still this one. */
interface Seen {
  id: string;
  generation: number;
}

/**
 * Catches what events missed: resources no open environment owns are removed, running environments whose
 * resources vanished are deployed again, and environments of PRs that closed while Glimpse was down close.
 * A failed environment whose previous version was still serving is deployed again when that version is gone
 * (a Glimpse restart stops local previews), so its PR and status say what serves now, not what did.
 *
 * A pass takes a while (it asks the runtime about every running environment, and GitHub about every repo), and
 * webhooks and controllers carry on meanwhile: an environment that changed since it was read is left to them. Otherwise a PR closed during the
 * pass, whose namespace was being deleted, was asked to deploy again, then closed again, and its namespace
 * deleted twice.
 */
export async function resync(deps: {
  db: Database;
  runtime: Runtime;
  github: GithubClient | undefined;
  logger: Logger;
}): Promise<ResyncReport> {
  const { db, runtime } = deps;
  const report: ResyncReport = { orphansRemoved: [], redeployed: [], closed: [], eventsPruned: 0 };
  const managed = await runtime.listManaged();
  const rows = await db
    .select({
      id: environments.id,
      namespace: environments.namespace,
      desiredState: environments.desiredState,
      generation: environments.generation,
      phase: environments.phase,
      statusDetail: environments.statusDetail,
      pending: sql<boolean>`${environments.generation} > ${environments.observedGeneration}`,
    })
    .from(environments)
    .where(ne(environments.phase, 'deleted'));
  const byNamespace = new Map(rows.map((r) => [r.namespace, r]));

  for (const ref of managed) {
    const owner = byNamespace.get(ref.namespace);
    if (owner !== undefined && (owner.desiredState === 'active' || owner.pending)) continue;
    try {
      await runtime.destroy(ref, AbortSignal.timeout(10 * 60_000));
      report.orphansRemoved.push(ref.namespace);
    } catch (error) {
      deps.logger.warn(
        { err: error, environment: ref.namespace },
        'could not remove an orphaned environment',
      );
    }
  }

  const held = new Set(managed.map((r) => r.namespace));
  const serving = rows.filter(
    (row) => row.desiredState === 'active' && !row.pending && (row.phase === 'running' || keptServing(row)),
  );
  // One look for all of them: a look at each would cost requests for every running preview on every pass.
  const vanished = await runtime.findVanished(
    serving.filter((row) => held.has(row.namespace)).map((row) => row.namespace),
  );
  const gone = serving.filter((row) => !held.has(row.namespace) || vanished.has(row.namespace));
  report.redeployed = await requestAgain(
    db,
    gone,
    'active',
    warning('ResourcesMissing', 'Its resources vanished from the runtime: deploying it again.'),
  );

  if (deps.github !== undefined)
    report.closed = await closeFinishedPullRequests(db, deps.github, deps.logger);
  report.eventsPruned = await pruneEnvironmentEvents(db);
  if (report.orphansRemoved.length + report.redeployed.length + report.closed.length > 0) {
    deps.logger.info(report, 'resync found drift');
  }
  return report;
}

/**
 * A failure that left the previous version serving: the only failed phase with a status detail (`fail` in
 * reconcile-environment.ts sets it only then).
 */
function keptServing(row: { phase: string; statusDetail: string | null }): boolean {
  return row.phase === 'failed' && row.statusDetail !== null;
}

async function closeFinishedPullRequests(
  db: Database,
  github: GithubClient,
  logger: Logger,
): Promise<string[]> {
  const active = await db
    .select({
      id: environments.id,
      generation: environments.generation,
      prNumber: environments.prNumber,
      repo: repos,
    })
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .where(and(eq(environments.desiredState, 'active'), eq(repos.enabled, true)));
  const byRepo = new Map<string, typeof active>();
  for (const row of active) byRepo.set(row.repo.id, [...(byRepo.get(row.repo.id) ?? []), row]);
  const closed: Seen[] = [];
  for (const rowsOfRepo of byRepo.values()) {
    const repo = rowsOfRepo[0]?.repo;
    if (repo === undefined) continue;
    try {
      const open = new Set(await github.listOpenPullRequestNumbers(repoRef(repo)));
      // The listing pages through a list that changes while it is read: a PR closing meanwhile moves the
      // others up, and one can slip past the page boundary. A PR missing from it is asked about on its own.
      for (const row of rowsOfRepo.filter((r) => !open.has(r.prNumber))) {
        const pr = await github.getPullRequest(repoRef(repo), row.prNumber);
        if (pr.state === 'closed') closed.push(row);
      }
    } catch (error) {
      logger.warn({ err: error, repo: repo.fullName }, 'could not check which pull requests closed');
    }
  }
  return requestAgain(
    db,
    closed,
    'closed',
    normal('PullRequestClosed', 'GitHub says the pull request is closed (found by the resync pass).'),
  );
}

/**
 * Asks again for `desiredState` of environments that still want to be active at the generation resync read
 * (both of its checks start from those), with the timeline entry saying why; returns the ids it asked for.
 */
async function requestAgain(
  db: Database,
  seen: Seen[],
  desiredState: 'active' | 'closed',
  event: EnvironmentEvent,
): Promise<string[]> {
  if (seen.length === 0) return [];
  return db.transaction(async (tx) => {
    const asked = await tx
      .update(environments)
      .set({
        desiredState,
        generation: sql`${environments.generation} + 1`,
        requestedTrigger: 'resync',
        requestedBy: null,
        attempts: 0,
        nextAttemptAt: null,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(environments.desiredState, 'active'),
          or(...seen.map((s) => and(eq(environments.id, s.id), eq(environments.generation, s.generation)))),
        ),
      )
      .returning({ id: environments.id });
    if (asked.length > 0) {
      await tx.insert(environmentEvents).values(asked.map((r) => eventRow(r.id, event)));
      await notifyWork(tx);
    }
    return asked.map((r) => r.id);
  });
}

/** Keeps each environment's timeline bounded: its last EVENTS_KEPT_PER_ENVIRONMENT entries of EVENTS_KEPT_DAYS. */
export async function pruneEnvironmentEvents(db: Database): Promise<number> {
  const removed = await queryRows<{ id: number }>(
    db,
    sql`
    delete from ${environmentEvents} where id in (
      select id from (
        select id, time, row_number() over (partition by environment_id order by id desc) as newer
        from ${environmentEvents}
      ) ranked
      where ranked.newer > ${EVENTS_KEPT_PER_ENVIRONMENT}
        or ranked.time < now() - make_interval(days => ${EVENTS_KEPT_DAYS})
    )
    returning id`,
  );
  return removed.length;
}
