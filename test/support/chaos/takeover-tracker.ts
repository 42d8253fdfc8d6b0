import type { Database } from '../../../src/db/database.ts';
import { sql } from '../../../src/db/drizzle-orm.ts';
import { queryRows } from '../../../src/db/query-rows.ts';

interface Pending {
  killedAt: number;
  id: string;
  namespace: string;
  deadOwner: string;
}

export interface Takeover {
  namespace: string;
  /** From the kill until another replica held the environment (undefined: nobody did). */
  latencyMs: number | undefined;
}

/**
 * Watches the environments a killed replica held while they still needed work, and measures how long each
 * waited for another replica to claim it.
 */
export class TakeoverTracker {
  readonly takeovers: Takeover[] = [];
  readonly #db: Database;
  #pending: Pending[] = [];
  readonly #timer: NodeJS.Timeout;
  #polling = false;

  constructor(db: Database, pollMs = 100) {
    this.#db = db;
    this.#timer = setInterval(() => void this.#poll(), pollMs);
  }

  /** Call right after the replica with `pid` died (SIGKILL), with the time of the kill. */
  async killed(pid: number, killedAt: number): Promise<number> {
    const held = await queryRows<{ id: string; namespace: string; lease_owner: string }>(
      this.#db,
      sql`select id, namespace, lease_owner from environments
          where lease_owner like ${`%:${pid}:%`} and generation > observed_generation`,
    );
    for (const row of held) {
      this.#pending.push({ killedAt, id: row.id, namespace: row.namespace, deadOwner: row.lease_owner });
    }
    return held.length;
  }

  /** Stops watching; environments nobody took over count as takeovers that never happened. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#polling) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.#poll();
    for (const p of this.#pending) this.takeovers.push({ namespace: p.namespace, latencyMs: undefined });
    this.#pending = [];
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#pending.length === 0) return;
    this.#polling = true;
    try {
      const ids = this.#pending.map((p) => p.id);
      const rows = await queryRows<{ id: string; lease_owner: string | null }>(
        this.#db,
        sql`select id, lease_owner from environments where id in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`,
      );
      const owners = new Map(rows.map((r) => [r.id, r.lease_owner]));
      const now = Date.now();
      this.#pending = this.#pending.filter((p) => {
        if (owners.get(p.id) === p.deadOwner) return true;
        this.takeovers.push({ namespace: p.namespace, latencyMs: now - p.killedAt });
        return false;
      });
    } catch {
      // the database is busy: the next poll measures a little late, never early
    } finally {
      this.#polling = false;
    }
  }
}
