import type { Database } from '../db/database.ts';
import { sql } from '../db/drizzle-orm.ts';
import { queryRows } from '../db/query-rows.ts';
import { PHASES } from '../domain/vocabulary.ts';
import type { ControllerState } from '../metrics/glimpse-metrics.ts';

/**
 * Environments by phase, and the queue: environments whose work is due (as `claimWork` picks them) that no
 * controller holds. Times come from the database, as for leases. One statement, for the metrics scrape.
 */
export async function readControllerState(db: Database): Promise<ControllerState> {
  const rows = await queryRows<{ phase: string; total: number; waiting: number; oldest: number | null }>(
    db,
    sql`select phase, cast(count(*) as int) as total,
          cast(count(*) filter (where due) as int) as waiting,
          cast(extract(epoch from now() - min(waiting_since) filter (where due)) as float8) as oldest
        from (
          select phase, updated_at as waiting_since,
            (lease_until is null or lease_until < now())
              and (
                (generation > observed_generation and (next_attempt_at is null or next_attempt_at <= now()))
                or (desired_state = 'active' and phase <> 'deleted' and expires_at <= now())
              ) as due
          from environments
        ) as e
        group by phase`,
  );
  const phases: Record<string, number> = Object.fromEntries(PHASES.map((phase) => [phase, 0]));
  let queueDepth = 0;
  let oldestWaitingSeconds = 0;
  for (const row of rows) {
    phases[row.phase] = Number(row.total);
    queueDepth += Number(row.waiting);
    oldestWaitingSeconds = Math.max(oldestWaitingSeconds, Number(row.oldest ?? 0));
  }
  return { phases, queueDepth, oldestWaitingSeconds };
}
