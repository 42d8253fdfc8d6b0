import type { Database } from '../../db/database.ts';
import { and, eq, inArray, isNull, ne, or, sql } from '../../db/drizzle-orm.ts';
import { deployments, environments, repos } from '../../db/schema.ts';
import { REQUIRED_CHECK_FAILED } from '../../domain/required-checks.ts';
import { CommitCheckEvent } from '../../github/webhook-payloads.ts';
import { type HandlerResult, unusablePayload } from './handler-result.ts';

/**
 * `check_run`, `check_suite`, `status`: a commit's checks changed. Environments whose head is that commit and
 * that are not deployed at it yet (they may be waiting for checks) are converged again, except two: one whose
 * deployment of that commit is under way (it is past its checks, and a CI run sends many such events, each of
 * which would cancel and restart it), and one that failed for another reason than a required check (a crash
 * loop is not retried by every check that finishes).
 */
export async function handleCommitChecks(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = CommitCheckEvent.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: unusablePayload('check', parsed.error) };
  const event = parsed.data;
  const sha = event.check_run?.head_sha ?? event.check_suite?.head_sha ?? event.sha;
  if (sha === undefined) return { outcome: 'ignored', reason: 'no commit in this event' };
  const [repo] = await tx.select({ id: repos.id }).from(repos).where(eq(repos.githubId, event.repository.id));
  if (repo === undefined) return { outcome: 'ignored', reason: 'repository not connected' };
  const woken = await tx
    .update(environments)
    .set({
      generation: sql`${environments.generation} + 1`,
      requestedTrigger: 'webhook',
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(environments.repoId, repo.id),
        eq(environments.headSha, sha),
        eq(environments.desiredState, 'active'),
        or(isNull(environments.deployedSha), ne(environments.deployedSha, sha)),
        or(ne(environments.phase, 'failed'), sql`${environments.error} LIKE ${`${REQUIRED_CHECK_FAILED}%`}`),
        sql`NOT EXISTS (${tx
          .select({ id: deployments.id })
          .from(deployments)
          .where(
            and(
              eq(deployments.environmentId, environments.id),
              eq(deployments.generation, environments.generation),
              inArray(deployments.status, ['queued', 'in_progress']),
            ),
          )})`,
      ),
    )
    .returning({ id: environments.id });
  if (woken.length === 0) return { outcome: 'ignored', reason: 'no preview is waiting for this commit' };
  return { outcome: 'applied', environmentIds: woken.map((e) => e.id) };
}
