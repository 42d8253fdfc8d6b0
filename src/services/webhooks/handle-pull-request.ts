import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { repos } from '../../db/schema.ts';
import { PullRequestEvent } from '../../github/webhook-payloads.ts';
import { type PullRequestSnapshot, recordPullRequest } from '../environments/record-pull-request.ts';
import type { HandlerResult } from './handler-result.ts';

const HANDLED_ACTIONS = new Set([
  'opened',
  'reopened',
  'synchronize',
  'ready_for_review',
  'converted_to_draft',
  'closed',
  'labeled',
  'unlabeled',
  'edited',
]);

export async function handlePullRequest(tx: Database, payload: unknown): Promise<HandlerResult> {
  const parsed = PullRequestEvent.safeParse(payload);
  if (!parsed.success)
    return { outcome: 'ignored', reason: 'pull_request payload is missing fields Glimpse needs' };
  const event = parsed.data;
  if (!HANDLED_ACTIONS.has(event.action)) {
    return { outcome: 'ignored', reason: `pull_request ${event.action} does not affect previews` };
  }
  if (event.action === 'edited' && event.changes?.base === undefined) {
    return { outcome: 'ignored', reason: 'only a change of base branch matters in an edit' };
  }
  const [repo] = await tx
    .select({
      id: repos.id,
      enabled: repos.enabled,
      cloneUrl: repos.cloneUrl,
      defaultBranch: repos.defaultBranch,
    })
    .from(repos)
    .where(eq(repos.githubId, event.repository.id));
  if (repo === undefined) return { outcome: 'ignored', reason: 'repository not connected' };
  if (!repo.enabled) return { outcome: 'ignored', reason: 'repository disconnected' };
  await rememberRepository(tx, repo, event);

  const outcome = await recordPullRequest(tx, {
    snapshot: snapshotOf(repo.id, event),
    trigger: 'webhook',
    actor: event.sender.login,
    reopen: event.action === 'reopened' || event.action === 'opened',
    ...(event.label !== undefined && (event.action === 'labeled' || event.action === 'unlabeled')
      ? {
          label: {
            name: event.label.name,
            addedBy: event.action === 'labeled' ? event.sender.login : undefined,
          },
        }
      : {}),
  });
  switch (outcome.kind) {
    case 'stale':
      return { outcome: 'ignored', reason: 'stale event: the pull request changed since it was sent' };
    case 'closed':
      return { outcome: 'ignored', reason: 'pull request is closed' };
    case 'recorded':
      return { outcome: 'applied', environmentIds: [outcome.environmentId] };
  }
}

function snapshotOf(repoId: string, event: PullRequestEvent): PullRequestSnapshot {
  const pr = event.pull_request;
  const headRepo = pr.head.repo;
  return {
    repoId,
    repoFullName: event.repository.full_name,
    number: event.number,
    title: pr.title,
    url: pr.html_url,
    author: pr.user?.login,
    branch: pr.head.ref,
    baseBranch: pr.base.ref,
    headSha: pr.head.sha,
    headRepoFullName: headRepo?.full_name,
    isFork: headRepo === null || headRepo.id !== pr.base.repo.id,
    isDraft: pr.draft,
    labels: pr.labels.map((l) => l.name),
    open: pr.state === 'open' && event.action !== 'closed',
    updatedAt: new Date(pr.updated_at),
  };
}

/** Pull request payloads carry what installation events do not: the clone URL and default branch. */
async function rememberRepository(
  tx: Database,
  repo: { id: string; cloneUrl: string | null; defaultBranch: string | null },
  event: PullRequestEvent,
): Promise<void> {
  const cloneUrl = event.repository.clone_url ?? repo.cloneUrl;
  const defaultBranch = event.repository.default_branch ?? repo.defaultBranch;
  if (cloneUrl === repo.cloneUrl && defaultBranch === repo.defaultBranch) return;
  await tx
    .update(repos)
    .set({ cloneUrl, defaultBranch, fullName: event.repository.full_name, updatedAt: sql`now()` })
    .where(eq(repos.id, repo.id));
}
