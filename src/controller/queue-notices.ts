import type { Database } from '../db/database.ts';
import { sql } from '../db/drizzle-orm.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import type { GithubFeedback } from './github-feedback.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { LeaseLost } from './lease-lost.ts';
import { claimEnvironment, findQueueNotices, releaseLease, STILL_QUEUED } from './leases.ts';
import { loadWorkItem } from './work-item.ts';

const NOTICES_PER_PASS = 20;

/**
 * When every deploy slot is busy, environments that have waited `waitedMs` are told their place in the
 * queue, once each: in their status, and on the PR. A shorter wait goes unannounced: the outcome follows
 * soon, and a burst of PRs (a bot, a reconnected repo) is not met with as many extra comment edits.
 *
 * Each notice claims its environment on its own, only while it still waits, and keeps the lease renewed
 * while it talks to GitHub, so no worker starts on it meanwhile. The notice never changes the phase; its
 * writes are fenced by its claim, so a notice whose lease was taken over writes nothing more and releases
 * nothing but its own claim.
 */
export async function announceQueuePositions(deps: {
  db: Database;
  owner: string;
  leaseMs: number;
  updates: EnvironmentUpdates;
  feedback: GithubFeedback;
  waitedMs: number;
}): Promise<number> {
  const waiting = await findQueueNotices(deps.db, { limit: NOTICES_PER_PASS, waitedMs: deps.waitedMs });
  let told = 0;
  for (const { id, position } of waiting) {
    const lease = await claimEnvironment(
      deps.db,
      id,
      deps.owner,
      deps.leaseMs,
      sql`${STILL_QUEUED} and status_detail is null`,
    );
    if (lease === undefined) continue;
    const keeper = new LeaseKeeper(deps.db, id, lease, deps.leaseMs);
    try {
      const item = await loadWorkItem(deps.db, id, lease);
      if (item === undefined) continue;
      await deps.updates.noteQueued(
        item,
        `Queued: waiting for a free deploy slot (position ${position} when queued).`,
        position,
      );
      // A PR whose environment was just created (never deployed, first generation) has no comment to look for.
      const fresh = item.env.generation === 1 && item.env.lastDeployedAt === null;
      await deps.feedback.comment(item, { status: 'pending', queuePosition: position }, { mayExist: !fresh });
      told += 1;
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
    } finally {
      keeper.stop();
      await releaseLease(deps.db, id, lease);
    }
  }
  return told;
}
