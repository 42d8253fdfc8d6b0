import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { CONTROLLER_ACTOR, recordAudit } from '../db/audit.ts';
import type { Database } from '../db/database.ts';
import { and, desc, eq, inArray, isNotNull, isNull, type SQL, sql } from '../db/drizzle-orm.ts';
import { announceEnvironmentChange } from '../db/notify-environment-change.ts';
import { recordEnvironmentEvents } from '../db/record-environment-events.ts';
import { deployments, environments, repos } from '../db/schema.ts';
import { type EnvironmentEvent, normal, warning } from '../domain/environment-event.ts';
import { nextPhase, type PhaseEvent } from '../domain/phase-machine.ts';
import type { ConfigCheckOutcome } from '../domain/vocabulary.ts';
import type { Logger } from '../logger.ts';
import type { GlimpseMetrics, RuntimeName } from '../metrics/glimpse-metrics.ts';
import { LeaseLost } from './lease-lost.ts';
import type { WorkItem } from './work-item.ts';

/** Matches the environment only while `item`'s lease (owner and claim token) is still the one on the row. */
function held(item: WorkItem): SQL | undefined {
  return and(
    eq(environments.id, item.env.id),
    eq(environments.leaseOwner, item.lease.owner),
    eq(environments.leaseToken, item.lease.token),
  );
}

/** A deployment's start and end, as the database's clock set them. */
const DEPLOYMENT_TIMES = { startedAt: deployments.startedAt, finishedAt: deployments.finishedAt };

/**
 * The controller's writes to an environment's observed state. Every phase write names the event that causes
 * it and goes through the phase machine (`domain/phase-machine.ts`), which throws on a change its table does
 * not allow. Each phase change is one log line. Every write is fenced by the item's lease: once another claim
 * holds the environment it throws `LeaseLost` and changes nothing. `events` are the timeline entries that
 * explain a write, written in its transaction.
 */
export class EnvironmentUpdates {
  readonly #db: Database;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #metrics: { metrics: GlimpseMetrics; runtime: RuntimeName } | undefined;

  /** `metrics`: where deployments started and finished are counted, for the runtime they ran on. */
  constructor(
    db: Database,
    log: Logger,
    now: () => Date,
    metrics?: { metrics: GlimpseMetrics; runtime: RuntimeName },
  ) {
    this.#db = db;
    this.#log = log;
    this.#now = now;
    this.#metrics = metrics;
  }

  async setPhase(
    item: WorkItem,
    event: PhaseEvent,
    fields: Partial<typeof environments.$inferInsert> = {},
    events: readonly EnvironmentEvent[] = [],
  ): Promise<void> {
    const from = item.env.phase;
    const phase = nextPhase(from, event);
    // When it was deleted: set on reaching `deleted`, cleared when a reopened PR brings it back.
    const deletedAt = phase === 'deleted' ? (item.env.deletedAt ?? this.#now()) : null;
    await this.#write(
      item,
      { ...fields, phase, deletedAt, updatedAt: sql`now()` },
      { announce: true, events },
    );
    Object.assign(item.env, fields, { phase, deletedAt });
    if (from !== phase) {
      this.#log.info(
        {
          environment: item.env.namespace,
          repo: item.repo.fullName,
          pr: item.env.prNumber,
          from,
          phase,
          ...(fields.error ? { error: fields.error } : {}),
        },
        'environment phase changed',
      );
    }
  }

  /**
   * The queue notice's record: what the environment waits for, in words. Neither its phase nor its place in
   * the queue (`updated_at`) changes, and only while it still waits at the generation the notice read.
   */
  async noteQueued(item: WorkItem, statusDetail: string, position: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const rows = await tx
        .update(environments)
        .set({ statusDetail })
        .where(
          and(
            held(item),
            eq(environments.generation, item.env.generation),
            eq(environments.observedGeneration, item.env.observedGeneration),
            eq(environments.phase, item.env.phase),
            isNull(environments.statusDetail),
          ),
        )
        .returning({ id: environments.id });
      if (rows.length === 0) throw new LeaseLost(item.env.id);
      await recordEnvironmentEvents(tx, item.env.id, [normal('Queued', statusDetail, { position })]);
    });
    item.env.statusDetail = statusDetail;
  }

  /** The runtime could not delete the environment: an audit event says so, beside its `failed` phase. */
  async auditFailedDeletion(item: WorkItem, reason: string): Promise<void> {
    await recordAudit(this.#db, {
      actor: CONTROLLER_ACTOR,
      action: 'destroy',
      environmentId: item.env.id,
      target: item.env.namespace,
      outcome: 'failed',
      detail: { message: reason },
    });
  }

  /** Marks a generation as handled: the controller will not look at it again until something changes. */
  async observe(
    item: WorkItem,
    generation: number,
    event: PhaseEvent,
    fields: Partial<typeof environments.$inferInsert> = {},
    events: readonly EnvironmentEvent[] = [],
  ) {
    await this.setPhase(
      item,
      event,
      { ...fields, observedGeneration: generation, attempts: 0, nextAttemptAt: null },
      events,
    );
  }

  /**
   * Takes the pending comment command off the environment, unless a newer one replaced it meanwhile (that one
   * has bumped the generation, so it is carried out next). `closed`: the command closes the environment.
   */
  async takeCommentCommand(
    item: WorkItem,
    taken: NonNullable<WorkItem['env']['commentCommand']>,
    closed: boolean,
    events: readonly EnvironmentEvent[] = [],
  ): Promise<void> {
    const fields = { commentCommand: null, ...(closed ? { desiredState: 'closed' as const } : {}) };
    await this.#db.transaction(async (tx) => {
      const rows = await tx
        .update(environments)
        .set({ ...fields, updatedAt: sql`now()` })
        .where(
          and(
            eq(environments.id, item.env.id),
            sql`${environments.commentCommand} = ${JSON.stringify(taken)}::jsonb`,
          ),
        )
        .returning({ id: environments.id });
      if (rows.length > 0) await recordEnvironmentEvents(tx, item.env.id, events);
    });
    Object.assign(item.env, fields);
  }

  async scheduleRetry(item: WorkItem, attempts: number, delayMs: number, reason: string): Promise<void> {
    const statusDetail = `Retrying in ${Math.round(delayMs / 1000)} s after a temporary failure: ${reason}`;
    await this.setPhase(
      item,
      'retry-later',
      { attempts, nextAttemptAt: new Date(this.#now().getTime() + delayMs), statusDetail },
      [warning('Retrying', statusDetail, { attempt: attempts + 1, delaySeconds: delayMs / 1000, reason })],
    );
  }

  /**
   * A new deployment row for this attempt; older attempts still in progress are canceled. `first`: the
   * environment had no deployment rows before (not even an attempt cut short by a crash).
   * `githubDeploymentId`: the GitHub deployment an earlier attempt at this generation and commit created,
   * which a retry carries on instead of creating another.
   */
  async startDeployment(
    item: WorkItem,
    generation: number,
  ): Promise<{ id: string; attempt: number; first: boolean; githubDeploymentId: number | undefined }> {
    const { env } = item;
    const started = await this.#db.transaction(async (tx) => {
      await this.#hold(tx, item);
      const canceled = await tx
        .update(deployments)
        .set({ status: 'canceled', finishedAt: sql`now()`, error: 'superseded by a newer deployment' })
        .where(
          and(eq(deployments.environmentId, env.id), inArray(deployments.status, ['queued', 'in_progress'])),
        )
        .returning(DEPLOYMENT_TIMES);
      const [previous] = await tx
        .select({
          attempt: sql<number>`cast(coalesce(max(${deployments.attempt}) filter (where ${deployments.commitSha} = ${env.headSha}), 0) as int)`,
          rows: sql<number>`cast(count(*) as int)`,
        })
        .from(deployments)
        .where(eq(deployments.environmentId, env.id));
      const [earlier] = await tx
        .select({ githubDeploymentId: deployments.githubDeploymentId })
        .from(deployments)
        .where(
          and(
            eq(deployments.environmentId, env.id),
            eq(deployments.generation, generation),
            eq(deployments.commitSha, env.headSha),
            isNotNull(deployments.githubDeploymentId),
          ),
        )
        .orderBy(desc(deployments.attempt))
        .limit(1);
      const attempt = (previous?.attempt ?? 0) + 1;
      const [row] = await tx
        .insert(deployments)
        .values({
          environmentId: env.id,
          commitSha: env.headSha,
          attempt,
          generation,
          status: 'in_progress',
          trigger: env.requestedTrigger,
          actor: env.requestedBy,
          startedAt: sql`now()`,
        })
        .returning({ id: deployments.id });
      if (row === undefined) throw new Error('inserting a deployment returned no row');
      return {
        id: row.id,
        attempt,
        first: (previous?.rows ?? 0) === 0,
        githubDeploymentId: earlier?.githubDeploymentId ?? undefined,
        canceled,
      };
    });
    for (const times of started.canceled) this.#countFinished('canceled', times);
    this.#metrics?.metrics.deployStarted(this.#metrics.runtime);
    const { canceled: _, ...result } = started;
    return result;
  }

  /**
   * The GitHub deployments that may show as active: those a `success` was sent (or about to be sent) for since
   * the last one GitHub confirmed, and the newest attempt that succeeded (environments from before the list).
   */
  async githubDeploymentsMaybeActive(item: WorkItem): Promise<number[]> {
    const [env] = await this.#db
      .select({ maybeActive: environments.githubMaybeActive })
      .from(environments)
      .where(eq(environments.id, item.env.id));
    const [row] = await this.#db
      .select({ githubDeploymentId: deployments.githubDeploymentId })
      .from(deployments)
      .where(
        and(
          eq(deployments.environmentId, item.env.id),
          eq(deployments.status, 'succeeded'),
          isNotNull(deployments.githubDeploymentId),
        ),
      )
      .orderBy(desc(deployments.finishedAt))
      .limit(1);
    const lastSucceeded = row?.githubDeploymentId ?? undefined;
    return [
      ...new Set([...(env?.maybeActive ?? []), ...(lastSucceeded === undefined ? [] : [lastSucceeded])]),
    ];
  }

  /** Before a `success` is sent for `githubDeploymentId`: from now on GitHub may show it active. */
  async mayBecomeActive(item: WorkItem, githubDeploymentId: number): Promise<void> {
    await this.#write(item, {
      githubMaybeActive: sql`case when ${environments.githubMaybeActive} @> to_jsonb(${githubDeploymentId}::bigint)
        then ${environments.githubMaybeActive}
        else ${environments.githubMaybeActive} || to_jsonb(${githubDeploymentId}::bigint) end`,
    });
  }

  /** GitHub answered: `githubDeploymentIds` are the only ones it may show active now (none: all inactive). */
  async onlyActive(item: WorkItem, githubDeploymentIds: readonly number[]): Promise<void> {
    await this.#write(item, { githubMaybeActive: [...githubDeploymentIds] });
  }

  async finishDeployment(
    item: WorkItem,
    id: string,
    status: 'succeeded' | 'failed' | 'canceled',
    fields: { error?: string } = {},
    events: readonly EnvironmentEvent[] = [],
  ): Promise<void> {
    const finished = await this.#db.transaction(async (tx) => {
      await this.#hold(tx, item);
      const rows = await tx
        .update(deployments)
        .set({ status, finishedAt: sql`now()`, error: fields.error ?? null })
        .where(eq(deployments.id, id))
        .returning(DEPLOYMENT_TIMES);
      await recordEnvironmentEvents(tx, item.env.id, events);
      return rows;
    });
    for (const times of finished) this.#countFinished(status, times);
  }

  #countFinished(
    outcome: 'succeeded' | 'failed' | 'canceled',
    times: { startedAt: Date | null; finishedAt: Date | null },
  ): void {
    if (this.#metrics === undefined) return;
    const seconds =
      times.startedAt === null || times.finishedAt === null
        ? 0
        : (times.finishedAt.getTime() - times.startedAt.getTime()) / 1000;
    this.#metrics.metrics.deployFinished(this.#metrics.runtime, outcome, Math.max(0, seconds));
  }

  async recordGithubDeployment(
    deploymentId: string,
    item: WorkItem,
    githubDeploymentId: number,
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#hold(tx, item);
      await tx.update(deployments).set({ githubDeploymentId }).where(eq(deployments.id, deploymentId));
      await tx.update(environments).set({ githubDeploymentId }).where(eq(environments.id, item.env.id));
    });
    item.env.githubDeploymentId = githubDeploymentId;
  }

  /**
   * The PR comment as the database knows it, read just before writing to it (never from memory: a queue
   * notice or an earlier attempt may have commented since the item was loaded). Fenced like a write, so an
   * attempt that lost its lease does not go on to write to GitHub.
   */
  async commentState(
    item: WorkItem,
  ): Promise<{ commentId: number | null; commentHash: string | null; requested: boolean }> {
    const [row] = await this.#db
      .select({
        commentId: environments.commentId,
        commentHash: environments.commentHash,
        requestedAt: environments.commentRequestedAt,
      })
      .from(environments)
      .where(held(item));
    if (row === undefined) throw new LeaseLost(item.env.id);
    return { commentId: row.commentId, commentHash: row.commentHash, requested: row.requestedAt !== null };
  }

  /** Timeline entries for what happened outside the database (the runtime applied objects), under the lease. */
  async recordEvents(item: WorkItem, events: readonly EnvironmentEvent[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#hold(tx, item);
      await recordEnvironmentEvents(tx, item.env.id, events);
    });
  }

  /** Throws `LeaseLost` unless the item's lease is still the one on the row: right before a GitHub write is sent. */
  async ensureHeld(item: WorkItem): Promise<void> {
    const rows = await this.#db.select({ id: environments.id }).from(environments).where(held(item));
    if (rows.length === 0) throw new LeaseLost(item.env.id);
  }

  /** Before the PR comment is first created: from now on it may exist without a stored id. */
  async markCommentRequested(item: WorkItem): Promise<void> {
    await this.#write(item, { commentRequestedAt: sql`coalesce(${environments.commentRequestedAt}, now())` });
  }

  /** `created`: the comment is new on the PR; `status`: what it says now. */
  async recordComment(
    item: WorkItem,
    commentId: number,
    commentHash: string,
    said: { created: boolean; status: string },
  ): Promise<void> {
    const message = `${said.created ? 'Commented on' : 'Updated the comment on'} the pull request: ${said.status}.`;
    await this.#write(
      item,
      { commentId, commentHash },
      { events: [normal('CommentUpdated', message, { commentId, status: said.status })] },
    );
    item.env.commentId = commentId;
    item.env.commentHash = commentHash;
  }

  /** What the read of the repo's `.glimpse.yml` for this attempt found, for the Repositories page. */
  async recordConfigCheck(
    item: WorkItem,
    check: { ref: string; outcome: ConfigCheckOutcome; error: string | null },
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#hold(tx, item);
      await tx
        .update(repos)
        .set({
          configCheckedAt: sql`now()`,
          configCheckedRef: check.ref,
          configCheckedPr: item.env.prNumber,
          configCheckOutcome: check.outcome,
          configCheckError: check.error,
        })
        .where(eq(repos.id, item.repo.id));
    });
  }

  /**
   * `announce`: tell the dashboard's event streams in the same statement (a change they show). `events`: the
   * timeline entries explaining the write, in its transaction.
   */
  async #write(
    item: WorkItem,
    fields: PgUpdateSetSource<typeof environments>,
    { announce = false, events = [] }: { announce?: boolean; events?: readonly EnvironmentEvent[] } = {},
  ): Promise<void> {
    const update = async (db: Pick<Database, 'update'>) => {
      const rows = await db
        .update(environments)
        .set(fields)
        .where(held(item))
        .returning({ id: environments.id, ...(announce ? { announced: announceEnvironmentChange } : {}) });
      if (rows.length === 0) throw new LeaseLost(item.env.id);
    };
    if (events.length === 0) return update(this.#db);
    await this.#db.transaction(async (tx) => {
      await update(tx);
      await recordEnvironmentEvents(tx, item.env.id, events);
    });
  }

  /** In a transaction: the lease is still the item's, and stays so (row lock) until the transaction ends. */
  async #hold(tx: Pick<Database, 'select'>, item: WorkItem): Promise<void> {
    const rows = await tx.select({ id: environments.id }).from(environments).where(held(item)).for('update');
    if (rows.length === 0) throw new LeaseLost(item.env.id);
  }
}
