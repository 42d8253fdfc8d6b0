import type { Database } from '../db/database.ts';
import { type SQL, sql } from '../db/drizzle-orm.ts';
import { queryRows } from '../db/query-rows.ts';

/**
 * Who holds an environment's lease: the controller (`owner`, one per process) and the claim (`token`, new
 * with every claim). Every write under a lease matches both, so an attempt whose lease ran out and was
 * claimed again, by another replica or by its own process, cannot overwrite the newer attempt's work.
 */
export interface Lease {
  owner: string;
  token: string;
}

export interface Claimed {
  id: string;
  token: string;
}

/** Deletions (a closed PR, an expired preview) and everything else (deploys) take slots of their own. */
export type WorkKind = 'deploy' | 'delete';

/**
 * Environments that need work of one kind, claimed with a lease so replicas never work on the same one and a
 * crashed replica's work is picked up as soon as its lease expires: an environment whose lease ran out was being
 * worked on, so it comes before the ones still waiting for their first claim. `takeoversOnly`: only those.
 * Times come from the database, so replicas' clocks need not agree.
 */
export async function claimWork(
  db: Database,
  owner: string,
  leaseMs: number,
  limit: number,
  kind: WorkKind,
  { takeoversOnly = false }: { takeoversOnly?: boolean } = {},
): Promise<Claimed[]> {
  if (limit <= 0) return [];
  const deletion = sql`(desired_state = 'closed' or coalesce(expires_at <= now(), false))`;
  return queryRows<Claimed>(
    db,
    sql`update environments
        set lease_owner = ${owner}, lease_token = gen_random_uuid(),
            lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id in (
          select id from environments
          where ${takeoversOnly ? sql`lease_until < now()` : sql`(lease_until is null or lease_until < now())`}
            and (
              (generation > observed_generation and (next_attempt_at is null or next_attempt_at <= now()))
              or (desired_state = 'active' and phase <> 'deleted' and expires_at <= now())
            )
            and ${kind === 'delete' ? deletion : sql`not ${deletion}`}
          order by lease_until is null, updated_at
          limit ${limit}
          for update skip locked
        )
        returning id, cast(lease_token as text) as token`,
  );
}

/**
 * Claims one environment that nobody holds, if it still matches `condition` (read in the same statement).
 * For work that is not a reconcile: a queue notice, a running preview's failure.
 */
export async function claimEnvironment(
  db: Database,
  id: string,
  owner: string,
  leaseMs: number,
  condition: SQL,
): Promise<Lease | undefined> {
  const [row] = await queryRows<{ token: string }>(
    db,
    sql`update environments
        set lease_owner = ${owner}, lease_token = gen_random_uuid(),
            lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id = ${id} and (lease_until is null or lease_until < now()) and (${condition})
        returning cast(lease_token as text) as token`,
  );
  return row === undefined ? undefined : { owner, token: row.token };
}

/**
 * Milliseconds until the soonest lease of another controller runs out on an environment that still needs
 * work (undefined: none), so a replica with free slots can take it over the moment it expires.
 */
export async function nextForeignExpiry(db: Database, owner: string): Promise<number | undefined> {
  const [row] = await queryRows<{ ms: number | null }>(
    db,
    sql`select cast(extract(epoch from min(lease_until) - now()) * 1000 as int) as ms
        from environments
        where lease_until >= now() and lease_owner <> ${owner} and generation > observed_generation`,
  );
  return row?.ms ?? undefined;
}

/** Extends the lease; returns the environment's current generation, or undefined if the lease was lost. */
export async function renewLease(
  db: Database,
  id: string,
  lease: Lease,
  leaseMs: number,
): Promise<number | undefined> {
  const [row] = await queryRows<{ generation: number }>(
    db,
    sql`update environments set lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id = ${id} and lease_owner = ${lease.owner} and lease_token = ${lease.token}
        returning generation`,
  );
  return row?.generation;
}

export async function releaseLease(db: Database, id: string, lease: Lease): Promise<void> {
  await db.execute(
    sql`update environments set lease_owner = null, lease_until = null, lease_token = null
        where id = ${id} and lease_owner = ${lease.owner} and lease_token = ${lease.token}`,
  );
}

/**
 * Environments that have waited `waitedMs` for a free deploy slot and have not been told so yet, with their
 * place in the queue. Nothing is claimed here: each is claimed on its own, just before its notice.
 */
export async function findQueueNotices(
  db: Database,
  options: { limit: number; waitedMs: number },
): Promise<{ id: string; position: number }[]> {
  return queryRows<{ id: string; position: number }>(
    db,
    sql`select id, cast(position as int) as position from (
          select id, status_detail, updated_at, row_number() over (order by updated_at) as position
          from environments
          where ${STILL_QUEUED} and lease_owner is null
        ) queue
        where status_detail is null
          and updated_at <= now() - ${options.waitedMs} * interval '1 millisecond'
        order by position
        limit ${options.limit}`,
  );
}

/** An environment that waits for a deploy slot: its desired state is ahead, and no retry is pending. */
export const STILL_QUEUED = sql`generation > observed_generation and desired_state = 'active'
  and (next_attempt_at is null or next_attempt_at <= now())`;
