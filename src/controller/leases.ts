import type { Database } from '../db/database.ts';
import { sql } from '../db/drizzle-orm.ts';
import { queryRows } from '../db/query-rows.ts';

/**
 * Environments that need work, claimed with a lease so replicas never work on the same one and a crashed
 * replica's work is picked up once its lease expires. Times come from the database, so replicas' clocks
 * need not agree.
 */
export async function claimWork(
  db: Database,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update environments
        set lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id in (
          select id from environments
          where (lease_until is null or lease_until < now())
            and (
              (generation > observed_generation and (next_attempt_at is null or next_attempt_at <= now()))
              or (desired_state = 'active' and phase <> 'deleted' and expires_at <= now())
            )
          order by updated_at
          limit ${limit}
          for update skip locked
        )
        returning id`,
  );
  return rows.map((r) => r.id);
}

/** Extends the lease; returns the environment's current generation, or undefined if the lease was lost. */
export async function renewLease(
  db: Database,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<number | undefined> {
  const [row] = await queryRows<{ generation: number }>(
    db,
    sql`update environments set lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id = ${id} and lease_owner = ${owner}
        returning generation`,
  );
  return row?.generation;
}

export async function releaseLease(db: Database, id: string, owner: string): Promise<void> {
  await db.execute(
    sql`update environments set lease_owner = null, lease_until = null where id = ${id} and lease_owner = ${owner}`,
  );
}

/**
 * Environments that have waited `waitedMs` for a free deploy slot and have not been told so yet, with their
 * place in the queue, each leased briefly so no worker starts on it while its notice is posted.
 */
export async function claimQueueNotices(
  db: Database,
  owner: string,
  options: { leaseMs: number; limit: number; waitedMs: number },
): Promise<{ id: string; position: number }[]> {
  const { leaseMs, limit, waitedMs } = options;
  const waiting = await queryRows<{ id: string; position: number }>(
    db,
    sql`select id, cast(position as int) as position from (
          select id, status_detail, updated_at, row_number() over (order by updated_at) as position
          from environments
          where generation > observed_generation and desired_state = 'active' and lease_owner is null
            and (next_attempt_at is null or next_attempt_at <= now())
        ) queue
        where status_detail is null
          and updated_at <= now() - ${waitedMs} * interval '1 millisecond'
        order by position
        limit ${limit}`,
  );
  if (waiting.length === 0) return [];
  const ids = waiting.map((w) => w.id);
  const claimed = await queryRows<{ id: string }>(
    db,
    sql`update environments
        set lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where id in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )}) and (lease_until is null or lease_until < now())
        returning id`,
  );
  const mine = new Set(claimed.map((c) => c.id));
  return waiting.filter((w) => mine.has(w.id));
}
