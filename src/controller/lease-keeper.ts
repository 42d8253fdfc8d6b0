import type { Database } from '../db/database.ts';
import { type Lease, renewLease } from './leases.ts';

/**
 * Holds an environment's lease while it is worked on: renews it, and aborts the current attempt when a newer
 * generation arrives (a newer push supersedes it) or when the lease was lost to a newer claim.
 */
export class LeaseKeeper {
  readonly #db: Database;
  readonly #id: string;
  readonly #lease: Lease;
  readonly #leaseMs: number;
  readonly #timer: NodeJS.Timeout;
  #attempt: { generation: number; controller: AbortController } | undefined;
  #lost = false;

  constructor(db: Database, id: string, lease: Lease, leaseMs: number) {
    this.#db = db;
    this.#id = id;
    this.#lease = lease;
    this.#leaseMs = leaseMs;
    this.#timer = setInterval(() => void this.check(), Math.max(50, Math.floor(leaseMs / 3)));
  }

  get lease(): Lease {
    return this.#lease;
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** A signal for work on `generation`, aborted once that generation is no longer current. */
  attempt(generation: number): AbortSignal {
    this.#attempt = { generation, controller: new AbortController() };
    return this.#attempt.controller.signal;
  }

  /** Renews the lease now; true when the attempt may go on. Called on the timer and between steps. */
  async check(): Promise<boolean> {
    if (this.#lost) return false;
    let generation: number | undefined;
    try {
      generation = await renewLease(this.#db, this.#id, this.#lease, this.#leaseMs);
    } catch {
      return true; // a database hiccup: the lease is still ours until it expires
    }
    const attempt = this.#attempt;
    if (generation === undefined) {
      this.#lost = true;
      attempt?.controller.abort(new Error('lease lost to a newer attempt'));
      return false;
    }
    if (attempt !== undefined && generation !== attempt.generation && !attempt.controller.signal.aborted) {
      attempt.controller.abort(new Error('superseded by a newer commit'));
    }
    return !(attempt?.controller.signal.aborted ?? false);
  }

  /** Gives the work up (shutdown): the attempt is aborted and nothing more is written under this lease. */
  abandon(reason: string): void {
    this.#lost = true;
    this.#attempt?.controller.abort(new Error(reason));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
