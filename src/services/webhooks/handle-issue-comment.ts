import type { Database } from '../../db/database.ts';
import { and, eq, sql } from '../../db/drizzle-orm.ts';
import { environments, repos } from '../../db/schema.ts';
import { parseCommentCommand } from '../../domain/comment-command.ts';
import { IssueCommentEvent } from '../../github/webhook-payloads.ts';
import type { HandlerResult } from './handler-result.ts';

/**
 * `issue_comment`: a new comment on a pull request whose first line is a Glimpse command. `/glimpse approve`
 * and `/glimpse deploy` record who approved the PR's head commit as Glimpse knows it now; `/glimpse redeploy`
 * and `/glimpse destroy` are recorded for the controller. The controller checks the commenter's write access
 * before anything happens, and tells the PR when a command does not count.
 */
export async function handleIssueComment(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = IssueCommentEvent.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: 'payload is missing fields Glimpse needs' };
  const event = parsed.data;
  if (event.action !== 'created') return { outcome: 'ignored', reason: `comment ${event.action}` };
  if (event.issue.pull_request === undefined) return { outcome: 'ignored', reason: 'not a pull request' };
  const command = parseCommentCommand(event.comment.body);
  if (command === undefined) return { outcome: 'ignored', reason: 'not a Glimpse command' };
  if (typeof command !== 'string') {
    return { outcome: 'ignored', reason: `unknown command /glimpse ${command.unknown}` };
  }
  const [repo] = await tx.select({ id: repos.id }).from(repos).where(eq(repos.githubId, event.repository.id));
  if (repo === undefined) return { outcome: 'ignored', reason: 'repository not connected' };
  const login = event.comment.user.login;
  // approve and deploy approve the head commit now; redeploy and destroy wait for the controller's check.
  const asked =
    command === 'approve' || command === 'deploy'
      ? { commentApproval: sql`jsonb_build_object('login', ${login}::text, 'sha', ${environments.headSha})` }
      : { commentCommand: { command, login } };
  const approved = await tx
    .update(environments)
    .set({
      ...asked,
      generation: sql`${environments.generation} + 1`,
      requestedTrigger: 'manual',
      requestedBy: login,
      attempts: 0,
      nextAttemptAt: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(environments.repoId, repo.id),
        eq(environments.prNumber, event.issue.number),
        eq(environments.desiredState, 'active'),
      ),
    )
    .returning({ id: environments.id });
  if (approved.length === 0) return { outcome: 'ignored', reason: 'no open preview for this pull request' };
  return {
    outcome: 'applied',
    environmentIds: approved.map((e) => e.id),
    detail: `/glimpse ${command} from ${login}`,
  };
}
