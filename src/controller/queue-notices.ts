import type { Database } from '../db/database.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import type { GithubFeedback } from './github-feedback.ts';
import { claimQueueNotices, releaseLease } from './leases.ts';
import { loadWorkItem } from './work-item.ts';

const NOTICE_LEASE_MS = 30_000;
const NOTICES_PER_PASS = 20;

/**
 * When every deploy slot is busy, environments that wait are told their place in the queue, once each:
 * in their status, and on the PR.
 */
export async function announceQueuePositions(deps: {
  db: Database;
  owner: string;
  updates: EnvironmentUpdates;
  feedback: GithubFeedback;
}): Promise<number> {
  const notices = await claimQueueNotices(deps.db, deps.owner, NOTICE_LEASE_MS, NOTICES_PER_PASS);
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
