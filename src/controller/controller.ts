import type { DatabaseHandle } from '../db/database.ts';
import { eq, sql } from '../db/drizzle-orm.ts';
import { WORK_CHANNEL } from '../db/notify-work.ts';
import { environments } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import {
  type Claimed,
  claimEnvironment,
  claimWork,
  nextForeignExpiry,
  releaseLease,
  type WorkKind,
} from './leases.ts';
import { announceQueuePositions } from './queue-notices.ts';
import { type ReconcileDeps, reconcileEnvironment, reportPreviewFailure } from './reconcile-environment.ts';
import { loadWorkItem } from './work-item.ts';

export interface ControllerOptions {
  /** Who this controller is in `lease_owner`: one id per process, unique among replicas. */
  owner: string;
  /** GLIMPSE_MAX_CONCURRENT_DEPLOYS: environments worked on at once; the rest wait as pending. */
  maxConcurrent: number;
  /**
   * GLIMPSE_MAX_CONCURRENT_DELETES: closed or expired previews deleted at once, in slots of their own, so closing
   * PRs never waits behind deploys, nor deploys behind deletions that wait for a namespace to go.
   */
  maxConcurrentDeletes: number;
  /** GLIMPSE_LEASE_SECONDS: how long a claim lasts unless renewed; a dead replica's work waits at most this. */
  leaseMs: number;
  /** How often to look for work nobody announced (retries that came due, missed notifications). */
  pollMs: number;
  /** How long an environment waits for a deploy slot before its PR is told its place in the queue. */
  queueNoticeAfterMs: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: Omit<ControllerOptions, 'owner'> = {
  maxConcurrent: 10,
  maxConcurrentDeletes: 500,
  leaseMs: 30_000,
  pollMs: 2_000,
  queueNoticeAfterMs: 30_000,
};

/**
 * The level-triggered loop: claims environments whose desired state is ahead of what was observed, and
 * converges each under a lease. Woken by NOTIFY from the webhook handler (and any replica), and by a timer.
 */
export class Controller {
  readonly owner: string;
  readonly #database: DatabaseHandle;
  readonly #deps: ReconcileDeps;
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  readonly #active = new Map<string, { keeper: LeaseKeeper; done: Promise<void>; kind: WorkKind }>();
  #timer: NodeJS.Timeout | undefined;
  /** Wakes the loop when another replica's lease runs out, sooner than the next poll. */
  #expiryTimer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #pumping = false;
  #pumpAgain = false;
  #announcing = false;
  #stopped = true;

  constructor(database: DatabaseHandle, deps: ReconcileDeps, options: ControllerOptions) {
    this.owner = options.owner;
    this.#database = database;
    this.#deps = deps;
    this.#options = options;
    this.#log = deps.logger.child({ component: 'controller' });
  }

  get activeCount(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#unlisten = await this.#database.listen(WORK_CHANNEL, () => this.wake());
    this.#timer = setInterval(() => this.wake(), this.#options.pollMs);
    this.wake();
  }

  /** Looks for work now. Safe to call any time; concurrent calls coalesce. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#pump().finally(() => {
      this.#pumping = false;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.wake();
      }
    });
  }

  /** Stops claiming work, cancels attempts in flight (another start redoes them) and releases their leases. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#expiryTimer);
    await this.#unlisten?.();
    for (const { keeper } of this.#active.values()) keeper.abandon('Glimpse is shutting down');
    await Promise.allSettled([...this.#active.values()].map((a) => a.done));
  }

  /** Called by a runtime when a running preview fails on its own (not during a deploy). */
  async recordPreviewFailure(failure: {
    ref: { namespace: string };
    message: string;
    logExcerpt: readonly string[];
  }): Promise<void> {
    const db = this.#database.db;
    const [row] = await db
      .select({ id: environments.id })
      .from(environments)
      .where(eq(environments.namespace, failure.ref.namespace));
    if (row === undefined) return;
    // Only a preview that is running and not being worked on: a deploy in progress reports its own outcome.
    const lease = await claimEnvironment(
      db,
      row.id,
      this.owner,
      this.#options.leaseMs,
      sql`phase = 'running' and generation = observed_generation`,
    );
    if (lease === undefined) return;
    try {
      const item = await loadWorkItem(db, row.id, lease);
      if (item !== undefined)
        await reportPreviewFailure(this.#deps, item, failure.message, failure.logExcerpt);
    } finally {
      await releaseLease(db, row.id, lease);
    }
  }

  async #pump(): Promise<void> {
    const busy = (kind: WorkKind) => [...this.#active.values()].filter((a) => a.kind === kind).length;
    const deleteRoom = this.#options.maxConcurrentDeletes - busy('delete');
    const room = this.#options.maxConcurrent - busy('deploy');
    let claimed: Claimed[];
    let deletions: Claimed[];
    try {
      deletions = await claimWork(this.#database.db, this.owner, this.#options.leaseMs, deleteRoom, 'delete');
      claimed = await claimWork(this.#database.db, this.owner, this.#options.leaseMs, room, 'deploy');
    } catch (error) {
      this.#log.warn({ err: error }, 'could not look for work');
      return;
    }
    for (const claim of deletions) this.#work(claim, 'delete');
    for (const claim of claimed) this.#work(claim, 'deploy');
    // A dead replica's deploys come back when their lease runs out, and are taken over at once even when every
    // slot here is busy, up to as many again: they were counted in the slots of the replica that died.
    if (claimed.length >= room) await this.#takeOver(busy('deploy'));
    await this.#wakeAtNextExpiry();
    if (claimed.length >= room && !this.#announcing) {
      this.#announcing = true;
      void announceQueuePositions({
        db: this.#database.db,
        owner: this.owner,
        leaseMs: this.#options.leaseMs,
        updates: this.#deps.updates,
        feedback: this.#deps.feedback,
        waitedMs: this.#options.queueNoticeAfterMs,
      })
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not announce queue positions'))
        .finally(() => {
          this.#announcing = false;
        });
    }
  }

  async #takeOver(deploying: number): Promise<void> {
    const limit = 2 * this.#options.maxConcurrent - deploying;
    const db = this.#database.db;
    const claimed = await claimWork(db, this.owner, this.#options.leaseMs, limit, 'deploy', {
      takeoversOnly: true,
    }).catch((error: unknown) => {
      this.#log.warn({ err: error }, 'could not look for work to take over');
      return [];
    });
    for (const claim of claimed) this.#work(claim, 'deploy');
  }

  async #wakeAtNextExpiry(): Promise<void> {
    const ms = await nextForeignExpiry(this.#database.db, this.owner).catch(() => undefined);
    if (ms === undefined || ms >= this.#options.pollMs || this.#stopped) return;
    clearTimeout(this.#expiryTimer);
    // Expiry is `lease_until < now()`: a few milliseconds after it, the lease is free.
    this.#expiryTimer = setTimeout(() => this.wake(), ms + 10);
  }

  #work({ id, token }: Claimed, kind: WorkKind): void {
    const db = this.#database.db;
    const lease = { owner: this.owner, token };
    const keeper = new LeaseKeeper(db, id, lease, this.#options.leaseMs);
    // A lease of ours that ran out while its attempt still worked was claimed again: the old attempt stops
    // (its writes are fenced by its own claim), and the new one starts once it has.
    const previous = this.#active.get(id);
    previous?.keeper.abandon('its lease ran out and the environment was claimed again');
    const done = (previous?.done ?? Promise.resolve())
      .then(() => reconcileEnvironment(this.#deps, keeper, () => loadWorkItem(db, id, lease)))
      .catch((error: unknown) =>
        this.#log.error({ err: error, environmentId: id }, 'reconcile failed unexpectedly'),
      )
      .finally(async () => {
        keeper.stop();
        // The slot first: until the lease is released no pump can claim this environment again.
        if (this.#active.get(id)?.keeper === keeper) this.#active.delete(id);
        await releaseLease(db, id, lease).catch(() => {});
        this.wake();
      });
    this.#active.set(id, { keeper, done, kind });
  }
}
