import type { Database } from '../db/database.ts';
import { and, eq, inArray, ne, sql } from '../db/drizzle-orm.ts';
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

/**
 * Catches what events missed: resources no open environment owns are removed, running environments whose
 * resources vanished are deployed again, and environments of PRs that closed while Glimpse was down close.
 * A failed environment whose previous version was still serving is deployed again when that version is gone
 * (a Glimpse restart stops local previews), so its PR and status say what serves now, not what did.
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

  const managedByName = new Map(managed.map((r) => [r.namespace, r]));
  for (const row of rows) {
    if (row.desiredState !== 'active' || row.pending || !(row.phase === 'running' || keptServing(row)))
      continue;
    const ref = managedByName.get(row.namespace);
    const observed = ref === undefined ? undefined : await runtime.inspect(ref);
    const present = observed?.exists === true && (observed.missing ?? []).length === 0;
    if (!present) report.redeployed.push(row.id);
  }
  if (report.redeployed.length > 0)
    await requestAgain(
      db,
      report.redeployed,
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
    .select({ id: environments.id, prNumber: environments.prNumber, repo: repos })
    .from(environments)
    .innerJoin(repos, eq(repos.id, environments.repoId))
    .where(and(eq(environments.desiredState, 'active'), eq(repos.enabled, true)));
  const byRepo = new Map<string, typeof active>();
  for (const row of active) byRepo.set(row.repo.id, [...(byRepo.get(row.repo.id) ?? []), row]);
  const closed: string[] = [];
  for (const rowsOfRepo of byRepo.values()) {
    const repo = rowsOfRepo[0]?.repo;
    if (repo === undefined) continue;
    try {
      const open = new Set(await github.listOpenPullRequestNumbers(repoRef(repo)));
      closed.push(...rowsOfRepo.filter((r) => !open.has(r.prNumber)).map((r) => r.id));
    } catch (error) {
      logger.warn({ err: error, repo: repo.fullName }, 'could not list open pull requests');
    }
  }
  if (closed.length > 0)
    await requestAgain(
      db,
      closed,
      'closed',
      normal('PullRequestClosed', 'GitHub says the pull request is closed (found by the resync pass).'),
    );
  return closed;
}

async function requestAgain(
  db: Database,
  ids: string[],
  desiredState: 'active' | 'closed',
  event: EnvironmentEvent,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(environmentEvents).values(ids.map((id) => eventRow(id, event)));
    await tx
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
      .where(inArray(environments.id, ids));
    await notifyWork(tx);
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
