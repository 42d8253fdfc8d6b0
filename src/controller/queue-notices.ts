import type { Database } from '../db/database.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import type { GithubFeedback } from './github-feedback.ts';
import { claimQueueNotices, releaseLease } from './leases.ts';
import { loadWorkItem } from './work-item.ts';

const NOTICE_LEASE_MS = 30_000;
const NOTICES_PER_PASS = 20;

/**
 * When every deploy slot is busy, environments that have waited `waitedMs` are told their place in the
 * queue, once each: in their status, and on the PR. A shorter wait goes unannounced: the outcome follows
 * soon, and a burst of PRs (a bot, a reconnected repo) is not met with as many extra comment edits.
 */
export async function announceQueuePositions(deps: {
  db: Database;
  owner: string;
  updates: EnvironmentUpdates;
  feedback: GithubFeedback;
  waitedMs: number;
}): Promise<number> {
  const notices = await claimQueueNotices(deps.db, deps.owner, {
    leaseMs: NOTICE_LEASE_MS,
    limit: NOTICES_PER_PASS,
    waitedMs: deps.waitedMs,
  });
  for (const { id, position } of notices) {
    try {
      const item = await loadWorkItem(deps.db, id);
      if (item === undefined) continue;
      await deps.updates.setPhase(item, 'pending', {
        statusDetail: `Queued: waiting for a free deploy slot (position ${position} when queued).`,
      });
      // A PR whose environment was just created (never deployed, first generation) has no comment to look for.
      const fresh = item.env.generation === 1 && item.env.lastDeployedAt === null;
      await deps.feedback.comment(item, { status: 'pending', queuePosition: position }, { mayExist: !fresh });
    } finally {
      await releaseLease(deps.db, id, deps.owner);
    }
  }
  return notices.length;
}
