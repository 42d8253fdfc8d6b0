import type { Database } from '../db/database.ts';
import { and, desc, eq, inArray, isNotNull, sql } from '../db/drizzle-orm.ts';
import { deployments, environments, type Phase } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { CONTROLLER_ACTOR, recordAudit } from '../services/audit.ts';
import type { WorkItem } from './work-item.ts';

/** The controller's writes to an environment's observed state. Each phase change is one log line. */
export class EnvironmentUpdates {
  readonly #db: Database;
  readonly #log: Logger;

  constructor(db: Database, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  async setPhase(
    item: WorkItem,
    phase: Phase,
    fields: Partial<typeof environments.$inferInsert> = {},
  ): Promise<void> {
    const from = item.env.phase;
    await this.#db
      .update(environments)
      .set({ ...fields, phase, updatedAt: sql`now()` })
      .where(eq(environments.id, item.env.id));
    Object.assign(item.env, fields, { phase });
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
    phase: Phase,
    fields: Partial<typeof environments.$inferInsert> = {},
  ) {
    await this.setPhase(item, phase, {
      ...fields,
      observedGeneration: generation,
      attempts: 0,
      nextAttemptAt: null,
    });
  }

  /**
   * Takes the pending comment command off the environment, unless a newer one replaced it meanwhile (that one
   * has bumped the generation, so it is carried out next). `closed`: the command closes the environment.
   */
  async takeCommentCommand(
    item: WorkItem,
    taken: NonNullable<WorkItem['env']['commentCommand']>,
    closed: boolean,
  ): Promise<void> {
    const fields = { commentCommand: null, ...(closed ? { desiredState: 'closed' as const } : {}) };
    await this.#db
      .update(environments)
      .set({ ...fields, updatedAt: sql`now()` })
      .where(
        and(
          eq(environments.id, item.env.id),
          sql`${environments.commentCommand} = ${JSON.stringify(taken)}::jsonb`,
        ),
      );
    Object.assign(item.env, fields);
  }

  async scheduleRetry(item: WorkItem, attempts: number, delayMs: number, reason: string): Promise<void> {
    await this.setPhase(item, 'pending', {
      attempts,
      nextAttemptAt: new Date(Date.now() + delayMs),
      statusDetail: `Retrying in ${Math.round(delayMs / 1000)} s after a temporary failure: ${reason}`,
    });
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
  ): Promise<{ id: string; first: boolean; githubDeploymentId: number | undefined }> {
    const { env } = item;
    return this.#db.transaction(async (tx) => {
      await tx
        .update(deployments)
        .set({ status: 'canceled', finishedAt: sql`now()`, error: 'superseded by a newer deployment' })
        .where(
          and(eq(deployments.environmentId, env.id), inArray(deployments.status, ['queued', 'in_progress'])),
        );
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
      const [row] = await tx
        .insert(deployments)
        .values({
          environmentId: env.id,
          commitSha: env.headSha,
          attempt: (previous?.attempt ?? 0) + 1,
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
        first: (previous?.rows ?? 0) === 0,
        githubDeploymentId: earlier?.githubDeploymentId ?? undefined,
      };
    });
  }

  async finishDeployment(
    id: string,
    status: 'succeeded' | 'failed' | 'canceled',
    fields: { error?: string; githubDeploymentId?: number | null } = {},
  ): Promise<void> {
    await this.#db
      .update(deployments)
      .set({ status, finishedAt: sql`now()`, error: fields.error ?? null })
      .where(eq(deployments.id, id));
  }

  async recordGithubDeployment(
    deploymentId: string,
    item: WorkItem,
    githubDeploymentId: number,
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.update(deployments).set({ githubDeploymentId }).where(eq(deployments.id, deploymentId));
      await tx.update(environments).set({ githubDeploymentId }).where(eq(environments.id, item.env.id));
    });
    item.env.githubDeploymentId = githubDeploymentId;
  }

  async recordComment(item: WorkItem, commentId: number, commentHash: string): Promise<void> {
    await this.#db
      .update(environments)
      .set({ commentId, commentHash })
      .where(eq(environments.id, item.env.id));
    item.env.commentId = commentId;
    item.env.commentHash = commentHash;
  }
}
