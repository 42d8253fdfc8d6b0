import { and, eq, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/database.ts';
import { wakeWorkers } from '../../db/notify-work.ts';
import { environments, repos, webhookDeliveries } from '../../db/schema.ts';
import type { PullRequestEvent } from '../../github/webhook-payloads.ts';
import { desiredStateFields } from '../environments/record-pull-request.ts';
import { factsOf, labelChangeOf, reopens, webhookRequestOf } from './handle-pull-request.ts';

export type KnownEnvironmentUpdate =
  | { kind: 'applied'; environmentId: string }
  | { kind: 'duplicate' }
  /** Not the common case: the delivery must go through the full handler. */
  | { kind: 'unknown' };

type Fields = ReturnType<typeof desiredStateFields>;
type SetByWebhook = Exclude<keyof Fields, 'approvedBy'>;

/** A parameter of the prepared statement, encoded as `column` encodes its values. */
const param = (name: string, column: PgColumn): SQL => sql`${sql.param(sql.placeholder(name), column)}`;

const FIELDS = {
  prTitle: param('prTitle', environments.prTitle),
  prUrl: param('prUrl', environments.prUrl),
  author: param('author', environments.author),
  branch: param('branch', environments.branch),
  baseBranch: param('baseBranch', environments.baseBranch),
  headSha: param('headSha', environments.headSha),
  headRepoFullName: param('headRepoFullName', environments.headRepoFullName),
  isFork: param('isFork', environments.isFork),
  isDraft: param('isDraft', environments.isDraft),
  labels: param('labels', environments.labels),
  prUpdatedAt: param('prUpdatedAt', environments.prUpdatedAt),
  desiredState: param('desiredState', environments.desiredState),
  requestedTrigger: param('requestedTrigger', environments.requestedTrigger),
  requestedBy: param('requestedBy', environments.requestedBy),
  attempts: param('attempts', environments.attempts),
  // Always null here, which drizzle's timestamp encoder does not take; the drivers encode a date themselves.
  nextAttemptAt: sql`${sql.placeholder('nextAttemptAt')}::timestamptz`,
} satisfies Record<SetByWebhook, SQL>;

/**
 * The common pull request delivery (a push to a PR Glimpse already tracks) in one prepared statement instead
 * of a transaction of six: it locks the PR's environment if the full handler would simply update it, records
 * the delivery, updates the environment and wakes the controller. When the handler would do anything else
 * (create the environment, remember the repository's clone URL, ignore a stale event or a closed PR, track who
 * added a label) the statement changes nothing and answers `unknown`.
 *
 * A redelivery is caught by the delivery's primary key before the environment is touched; one racing its
 * original waits for the original's row lock and then for its delivery id, so it changes nothing either.
 */
export function prepareKnownEnvironmentUpdate(
  db: Database,
): (deliveryId: string, event: PullRequestEvent) => Promise<KnownEnvironmentUpdate> {
  const target = db.$with('target').as(
    db
      .select({ id: environments.id })
      .from(environments)
      .innerJoin(repos, eq(repos.id, environments.repoId))
      .where(
        and(
          eq(repos.githubId, sql.placeholder('repoGithubId')),
          eq(repos.enabled, true),
          sameOrUnsaid(repos.cloneUrl, 'cloneUrl'),
          sameOrUnsaid(repos.defaultBranch, 'defaultBranch'),
          eq(environments.prNumber, sql.placeholder('number')),
          or(isNull(environments.prUpdatedAt), lte(environments.prUpdatedAt, FIELDS.prUpdatedAt)),
          or(eq(environments.desiredState, 'active'), sql`${sql.placeholder('mayReopen')}::boolean`),
          // Every label with a known sender is still on the PR, so the senders stay as they are.
          sql`not exists (select from jsonb_object_keys(${environments.labelSenders}) as sender(label)
            where not (${FIELDS.labels}::jsonb ? sender.label))`,
        ),
      )
      .for('update', { of: environments }),
  );
  const recorded = db.$with('recorded').as(
    db
      .insert(webhookDeliveries)
      .select(
        db
          .select({
            deliveryId: sql`${sql.placeholder('deliveryId')}::text`.as('delivery_id'),
            event: sql`'pull_request'`.as('event'),
            action: sql`${sql.placeholder('action')}::text`.as('action'),
            outcome: sql`'applied'`.as('outcome'),
            detail: sql`null`.as('detail'),
            receivedAt: sql`now()`.as('received_at'),
            processedAt: sql`now()`.as('processed_at'),
          })
          .from(target),
      )
      .onConflictDoNothing()
      .returning({ deliveryId: webhookDeliveries.deliveryId }),
  );
  const changed = db.$with('changed').as(
    db
      .update(environments)
      .set({ ...FIELDS, generation: sql`${environments.generation} + 1`, updatedAt: sql`now()` })
      .from(recorded)
      .where(sql`${environments.id} = (select ${target.id} from ${target})`)
      .returning({ id: environments.id }),
  );
  const statement = db
    .with(target, recorded, changed)
    .select({
      environmentId: target.id,
      applied: sql<string | null>`${changed.id}`,
      woke: sql`case when ${changed.id} is not null then ${wakeWorkers} end`,
    })
    .from(target)
    .leftJoin(changed, sql`true`)
    .prepare('glimpse_update_known_environment');

  return async (deliveryId, event) => {
    if (labelChangeOf(event) !== undefined) return { kind: 'unknown' };
    const facts = factsOf(event);
    const [row] = await statement.execute({
      ...desiredStateFields(facts, webhookRequestOf(event)),
      deliveryId,
      action: event.action,
      repoGithubId: event.repository.id,
      cloneUrl: event.repository.clone_url ?? null,
      defaultBranch: event.repository.default_branch ?? null,
      number: facts.number,
      mayReopen: facts.open && reopens(event),
    });
    if (row === undefined) return { kind: 'unknown' };
    return row.applied === null
      ? { kind: 'duplicate' }
      : { kind: 'applied', environmentId: row.environmentId };
  };
}

/** The payload says nothing about this repository column, or the same as what is recorded. */
function sameOrUnsaid(column: PgColumn, name: string): SQL {
  return sql`(${sql.placeholder(name)}::text is null or ${column} = ${sql.placeholder(name)})`;
}
