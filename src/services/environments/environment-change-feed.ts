import type { DatabaseHandle } from '../../db/database.ts';
import { asc, eq, sql } from '../../db/drizzle-orm.ts';
import { ENVIRONMENT_CHANNEL } from '../../db/notify-environment-change.ts';
import { WORK_CHANNEL } from '../../db/notify-work.ts';
import { environments, repos, teamMemberships } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { Principal } from '../auth/principal.ts';
import type { EnvironmentView } from './environment-schemas.ts';
import { environmentView } from './environment-view.ts';

/** One change as the stream sends it: the environment as the list shows it, with a resumable position. */
export interface EnvironmentChange {
  /** `<updated_at in epoch microseconds>.<id>`: the SSE event id, which Last-Event-ID brings back. */
  position: string;
  environment: EnvironmentView;
}

export interface ChangeSubscriber {
  /** Called with each change the subscriber may see, in order. */
  send(change: EnvironmentChange): void;
}

/**
 * Rows committed late can carry an updated_at older than rows already seen (now() is the transaction's
 * start): each look re-reads this far back, and rows sent before at the same version are skipped.
 */
const OVERLAP_MICROS = 5_000_000n;
/** A resume that would replay more than this is answered with "reset" (load everything again). */
export const MAX_REPLAY = 500;

interface Visibility {
  isAdmin: boolean;
  teamIds: ReadonlySet<string>;
}

interface ChangedRow {
  teamId: string;
  micros: bigint;
  change: EnvironmentChange;
}

/**
 * The dashboard's live view of environments: one reader per server, woken by the controller's work
 * notifications (desired state) and by phase changes, with a timer for anything missed. Each look reads
 * the environments updated since the last one and hands each change to the streams allowed to see it
 * (the list's rule: members of the repo's team, and Glimpse administrators).
 */
export class EnvironmentChangeFeed {
  readonly #database: DatabaseHandle;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #pollMs: number;
  readonly #subscribers = new Map<ChangeSubscriber, Visibility>();
  /** Versions (updated_at micros) already sent, per environment id. */
  readonly #sent = new Map<string, bigint>();
  #watermark: bigint | undefined;
  /** The newest version when the feed started: rows at or before it were never changes to send. */
  #startMicros = 0n;
  #started: Promise<void> | undefined;
  #stops: (() => Promise<void>)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #readAgain = false;
  #closed = false;

  constructor(options: { database: DatabaseHandle; logger: Logger; now: () => Date; pollMs?: number }) {
    this.#database = options.database;
    this.#log = options.logger;
    this.#now = options.now;
    this.#pollMs = options.pollMs ?? 2_000;
  }

  /** Adds a stream; the feed starts listening with the first one. Returns the function that removes it. */
  async subscribe(principal: Principal, subscriber: ChangeSubscriber): Promise<() => void> {
    const visibility = await this.#visibilityOf(principal);
    await this.#start();
    this.#subscribers.set(subscriber, visibility);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /**
   * What changed after `position` that the principal may see, oldest first; undefined when that is more
   * than MAX_REPLAY (the client should load everything again). Repeats a few seconds back (see OVERLAP).
   */
  async changesSince(principal: Principal, position: string): Promise<EnvironmentChange[] | undefined> {
    const micros = parsePosition(position);
    if (micros === undefined) return undefined;
    const visibility = await this.#visibilityOf(principal);
    const rows = await this.#read(micros - OVERLAP_MICROS, MAX_REPLAY + 1);
    const visible = rows.filter((row) => canSee(visibility, row.teamId)).map((row) => row.change);
    return visible.length > MAX_REPLAY ? undefined : visible;
  }

  /** Looks for changes now (also what the notifications and the timer do). */
  wake(): void {
    if (this.#closed || this.#subscribers.size === 0) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    void this.#look()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'reading environment changes failed'))
      .finally(() => {
        this.#reading = false;
        if (this.#readAgain) {
          this.#readAgain = false;
          this.wake();
        }
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subscribers.clear();
    // A start still under way adds its listeners and timer later: stop them once it is done, or a LISTEN
    // connection stays checked out and closing the database waits for it forever.
    await this.#started?.catch(() => undefined);
    clearInterval(this.#timer);
    await Promise.allSettled(this.#stops.map((stop) => stop()));
  }

  #start(): Promise<void> {
    this.#started ??= (async () => {
      const [row] = await this.#database.db
        .select({
          micros: sql<string>`coalesce((extract(epoch from max(${environments.updatedAt})) * 1000000)::bigint, 0)::text`,
        })
        .from(environments);
      this.#startMicros = BigInt(row?.micros ?? '0');
      this.#watermark = this.#startMicros;
      for (const channel of [WORK_CHANNEL, ENVIRONMENT_CHANNEL])
        this.#stops.push(await this.#database.listen(channel, () => this.wake()));
      this.#timer = setInterval(() => this.wake(), this.#pollMs);
      this.#timer.unref();
    })();
    return this.#started;
  }

  async #look(): Promise<void> {
    const rows = await this.#read((this.#watermark ?? 0n) - OVERLAP_MICROS, 10_000);
    for (const row of rows) {
      if (row.micros > (this.#watermark ?? 0n)) this.#watermark = row.micros;
      const id = row.change.environment.id;
      if (this.#sent.get(id) === row.micros) continue;
      this.#sent.set(id, row.micros);
      // Versions from before the feed started are no news.
      if (row.micros <= this.#startMicros) continue;
      for (const [subscriber, visibility] of this.#subscribers)
        if (canSee(visibility, row.teamId)) subscriber.send(row.change);
    }
    this.#forgetOld();
  }

  /** Keeps only the versions inside the overlap window: older rows are never read again. */
  #forgetOld(): void {
    const horizon = (this.#watermark ?? 0n) - OVERLAP_MICROS;
    for (const [id, micros] of this.#sent) if (micros < horizon) this.#sent.delete(id);
  }

  async #read(afterMicros: bigint, limit: number): Promise<ChangedRow[]> {
    const since = afterMicros < 0n ? 0n : afterMicros;
    const rows = await this.#database.db
      .select({
        env: environments,
        repoFullName: repos.fullName,
        teamId: repos.teamId,
        micros: sql<string>`(extract(epoch from ${environments.updatedAt}) * 1000000)::bigint::text`,
      })
      .from(environments)
      .innerJoin(repos, eq(repos.id, environments.repoId))
      .where(
        sql`${environments.updatedAt} > timestamptz 'epoch' + ${since.toString()}::bigint * interval '1 microsecond'`,
      )
      .orderBy(asc(environments.updatedAt), asc(environments.id))
      .limit(limit);
    const now = this.#now();
    return rows.map((row) => ({
      teamId: row.teamId,
      micros: BigInt(row.micros),
      change: {
        position: `${row.micros}.${row.env.id}`,
        environment: environmentView(row.env, row.repoFullName, now),
      },
    }));
  }

  async #visibilityOf(principal: Principal): Promise<Visibility> {
    if (principal.isAdmin) return { isAdmin: true, teamIds: new Set() };
    const rows = await this.#database.db
      .select({ teamId: teamMemberships.teamId })
      .from(teamMemberships)
      .where(eq(teamMemberships.userId, principal.userId));
    return { isAdmin: false, teamIds: new Set(rows.map((row) => row.teamId)) };
  }
}

function canSee(visibility: Visibility, teamId: string): boolean {
  return visibility.isAdmin || visibility.teamIds.has(teamId);
}

function parsePosition(position: string): bigint | undefined {
  const match = /^(\d{1,20})\.[0-9a-f-]{36}$/.exec(position);
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
}
