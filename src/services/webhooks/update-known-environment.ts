import { batchCalls } from '../../batch-calls.ts';
import type { Database } from '../../db/database.ts';
import { type SQL, sql } from '../../db/drizzle-orm.ts';
import { wakeWorkers } from '../../db/notify-work.ts';
import { environments } from '../../db/schema.ts';
import { pullRequestEvent } from '../../domain/pull-request-event.ts';
import type { PullRequestEvent } from '../../github/webhook-payloads.ts';
import { desiredStateFields } from '../environments/record-pull-request.ts';
import { actionOf, factsOf, labelChangeOf, reopens, webhookRequestOf } from './handle-pull-request.ts';

export type KnownEnvironmentUpdate =
  | { kind: 'applied'; environmentId: string }
  | { kind: 'duplicate' }
  /** Not the common case: the delivery must go through the full handler. */
  | { kind: 'unknown' };

type Fields = ReturnType<typeof desiredStateFields>;
type SetByWebhook = Exclude<keyof Fields, 'approvedBy' | 'approvedSha'>;

/** The SQL type of each column the webhook sets, to read it back out of the batch's JSON. */
const FIELD_TYPES = {
  prTitle: 'text',
  prUrl: 'text',
  author: 'text',
  branch: 'text',
  baseBranch: 'text',
  headSha: 'text',
  headRepoFullName: 'text',
  isFork: 'boolean',
  isDraft: 'boolean',
  labels: 'jsonb',
  prUpdatedAt: 'timestamptz',
  desiredState: 'text',
  requestedTrigger: 'text',
  requestedBy: 'text',
  attempts: 'integer',
  nextAttemptAt: 'timestamptz',
} satisfies Record<SetByWebhook, string>;

const FIELD_KEYS = Object.keys(FIELD_TYPES) as SetByWebhook[];
const columnOf = (key: SetByWebhook) => environments[key].name;

/** One delivery of a batch, keyed by the column names the statement reads. */
type BatchRow = Record<string, string | number | boolean | string[] | Date | Record<string, unknown> | null>;

/** Deliveries in one statement at most, and statements running at once (each holds a pooled connection). */
const MAX_BATCH_SIZE = 64;
const MAX_IN_FLIGHT = 2;

/**
 * The common pull request delivery (a push to a PR Glimpse already tracks) without a transaction of its
 * own: deliveries that arrive together are recorded by one statement, which for each of them locks the PR's
 * environment if the full handler would simply update it, records the delivery, updates the environment and
 * wakes the controller. When the handler would do anything else (create the environment, remember the
 * repository's clone URL or new name, ignore a stale event or a closed PR, track who added a label) the statement
 * leaves that delivery alone and answers `unknown`. A batch commits or fails as one; a failed one answers
 * every delivery in it with the error, so GitHub sends them again and none is lost.
 *
 * A batch never holds two deliveries of one PR or two of one id (see `batchCalls`), and locks environments
 * in id order, so two batches running at once wait for each other instead of deadlocking. A redelivery is
 * caught by the delivery's primary key before the environment is touched; one racing its original in
 * another batch waits for the original's row lock and then for its delivery id, so it changes nothing.
 */
export function prepareKnownEnvironmentUpdate(
  db: Database,
): (deliveryId: string, event: PullRequestEvent) => Promise<KnownEnvironmentUpdate> {
  const statement = prepareBatchStatement(db);
  const record = batchCalls<BatchRow, KnownEnvironmentUpdate>({
    run: async (rows) => {
      const answers = await statement.execute({
        batch: JSON.stringify(rows.map((row, ord) => ({ ...row, ord }))),
      });
      const byOrd = new Map(answers.map((answer) => [answer.ord, answer]));
      return rows.map((_row, ord): KnownEnvironmentUpdate => {
        const answer = byOrd.get(ord);
        if (answer === undefined) return { kind: 'unknown' };
        return answer.applied
          ? { kind: 'applied', environmentId: answer.environmentId }
          : { kind: 'duplicate' };
      });
    },
    keysOf: (row) => [`pr:${row.repo_github_id}#${row.number}`, `delivery:${row.delivery_id}`],
    maxInFlight: MAX_IN_FLIGHT,
    maxBatchSize: MAX_BATCH_SIZE,
  });
  return async (deliveryId, event) => {
    if (labelChangeOf(event) !== undefined) return { kind: 'unknown' };
    const facts = factsOf(event);
    const fields = desiredStateFields(facts, webhookRequestOf(event));
    const timeline = pullRequestEvent(actionOf(event));
    const row: BatchRow = {
      delivery_id: deliveryId,
      action: event.action,
      repo_github_id: event.repository.id,
      full_name: event.repository.full_name,
      clone_url: event.repository.clone_url ?? null,
      default_branch: event.repository.default_branch ?? null,
      number: facts.number,
      may_reopen: facts.open && reopens(event),
      event_type: timeline.type,
      event_reason: timeline.reason,
      event_message: timeline.message,
      event_details: timeline.details ?? null,
    };
    for (const key of FIELD_KEYS) row[columnOf(key)] = fields[key];
    return record(row);
  };
}

const id = (name: string) => sql.identifier(name);
const join = (parts: SQL[]) => sql.join(parts, sql`, `);

const INPUT_COLUMNS = join([
  sql`ord integer, delivery_id text, action text, repo_github_id bigint, full_name text, clone_url text`,
  sql`default_branch text, number integer, may_reopen boolean`,
  sql`event_type text, event_reason text, event_message text, event_details jsonb`,
  ...FIELD_KEYS.map((key) => sql`${id(columnOf(key))} ${sql.raw(FIELD_TYPES[key])}`),
]);
const SET_FIELDS = join(FIELD_KEYS.map((key) => sql`${id(columnOf(key))} = t.${id(columnOf(key))}`));

/**
 * Prepared once, so PostgreSQL parses and plans it once per connection: planning this statement costs
 * several times what running it for one delivery does.
 */
function prepareBatchStatement(db: Database) {
  const input = db.$with('input', {}).as(sql`
    select * from jsonb_to_recordset(${sql.placeholder('batch')}::jsonb) as i(${INPUT_COLUMNS})`);
  const target = db
    .$with('target', {
      ord: sql<number>`ord`.as('ord'),
      environmentId: sql<string>`environment_id`.as('environment_id'),
    })
    .as(sql`
      select e.id as environment_id, i.*
      from input i
      join repos r on r.github_id = i.repo_github_id and r.enabled and r.full_name = i.full_name
        and (i.clone_url is null or r.clone_url = i.clone_url)
        and (i.default_branch is null or r.default_branch = i.default_branch)
      join environments e on e.repo_id = r.id and e.pr_number = i.number
      where (e.pr_updated_at is null or e.pr_updated_at <= i.pr_updated_at)
        and (e.desired_state = 'active' or i.may_reopen)
        -- Every label with a known sender is still on the PR, so the senders stay as they are.
        and not exists (select from jsonb_object_keys(e.label_senders) as sender(label)
          where not (i.labels ? sender.label))
      order by e.id
      for update of e`);
  const recorded = db.$with('recorded', {}).as(sql`
    insert into webhook_deliveries (delivery_id, event, action, outcome, detail, repo_full_name, pr_number,
      received_at, processed_at)
    select delivery_id, 'pull_request', action, 'applied', null, full_name, number, now(), now() from target
    on conflict do nothing
    returning delivery_id`);
  const changed = db.$with('changed', { id: sql<string>`id`.as('id') }).as(sql`
    update environments e
    set ${SET_FIELDS}, generation = e.generation + 1, updated_at = now()
    from target t join recorded on recorded.delivery_id = t.delivery_id
    where e.id = t.environment_id
    returning e.id`);
  // The timeline entry of each change, in the same statement (so the same transaction) as the change.
  const events = db.$with('events', {}).as(sql`
    insert into environment_events (environment_id, type, reason, message, details)
    select t.environment_id, t.event_type, t.event_reason, t.event_message, t.event_details
    from target t join changed on changed.id = t.environment_id
    returning id`);
  return db
    .with(input, target, recorded, changed, events)
    .select({
      ord: target.ord,
      environmentId: target.environmentId,
      applied: sql<boolean>`${changed.id} is not null`,
      woke: sql`case when ${changed.id} is not null then ${wakeWorkers} end`,
    })
    .from(target)
    .leftJoin(changed, sql`${changed.id} = ${target.environmentId}`)
    .prepare('glimpse_update_known_environments');
}
