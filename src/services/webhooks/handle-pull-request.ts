import type { Database } from '../../db/database.ts';
import { eq, sql } from '../../db/drizzle-orm.ts';
import { recordEnvironmentEvents } from '../../db/record-environment-events.ts';
import { repos } from '../../db/schema.ts';
import { type PullRequestAction, pullRequestEvent } from '../../domain/pull-request-event.ts';
import { PullRequestEvent } from '../../github/webhook-payloads.ts';
import {
  type ChangeRequest,
  type PullRequestChange,
  type PullRequestFacts,
  recordPullRequest,
} from '../environments/record-pull-request.ts';
import { type HandlerResult, unusablePayload } from './handler-result.ts';
import { releaseRepoName } from './repo-connections.ts';

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

/** The pull request event in a payload, or why it does not affect previews. */
export function readPullRequestEvent(payload: unknown): PullRequestEvent | { ignored: string } {
  const parsed = PullRequestEvent.safeParse(payload);
  if (!parsed.success) return { ignored: unusablePayload('pull_request', parsed.error) };
  const event = parsed.data;
  if (!HANDLED_ACTIONS.has(event.action)) {
    return { ignored: `pull_request ${event.action} does not affect previews` };
  }
  if (event.action === 'edited' && event.changes?.base === undefined) {
    return { ignored: 'only a change of base branch matters in an edit' };
  }
  return event;
}

export async function handlePullRequest(tx: Database, payload: unknown): Promise<HandlerResult> {
  const event = readPullRequestEvent(payload);
  if ('ignored' in event) return { outcome: 'ignored', reason: event.ignored };
  const [repo] = await tx
    .select({
      id: repos.id,
      fullName: repos.fullName,
      enabled: repos.enabled,
      cloneUrl: repos.cloneUrl,
      defaultBranch: repos.defaultBranch,
    })
    .from(repos)
    .where(eq(repos.githubId, event.repository.id));
  if (repo === undefined) return { outcome: 'ignored', reason: 'repository not connected' };
  if (!repo.enabled) return { outcome: 'ignored', reason: 'repository disconnected' };
  await rememberRepository(tx, repo, event);

  const label = labelChangeOf(event);
  const outcome = await recordPullRequest(tx, {
    snapshot: { repoId: repo.id, ...factsOf(event) },
    ...webhookRequestOf(event),
    reopen: reopens(event),
    ...(label === undefined ? {} : { label }),
  });
  switch (outcome.kind) {
    case 'stale':
      return { outcome: 'ignored', reason: 'stale event: the pull request changed since it was sent' };
    case 'closed':
      return { outcome: 'ignored', reason: 'pull request is closed' };
    case 'recorded':
      await recordEnvironmentEvents(tx, outcome.environmentId, [pullRequestEvent(actionOf(event))]);
      return { outcome: 'applied', environmentIds: [outcome.environmentId] };
  }
}

/** What the delivery says happened to the pull request, for its environment's timeline. */
export function actionOf(event: PullRequestEvent): PullRequestAction {
  return {
    action: event.action,
    number: event.number,
    headSha: event.pull_request.head.sha,
    sender: event.sender.login,
    merged: event.pull_request.merged === true,
    label: event.label?.name,
    baseFrom: event.changes?.base?.ref.from,
    baseTo: event.pull_request.base.ref,
  };
}

export function factsOf(event: PullRequestEvent): PullRequestFacts {
  const pr = event.pull_request;
  const headRepo = pr.head.repo;
  return {
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

export function webhookRequestOf(event: PullRequestEvent): ChangeRequest {
  return { trigger: 'webhook', actor: event.sender.login };
}

/** The label a `labeled` or `unlabeled` event added (with who added it) or removed. */
export function labelChangeOf(event: PullRequestEvent): PullRequestChange['label'] {
  if (event.label === undefined || (event.action !== 'labeled' && event.action !== 'unlabeled'))
    return undefined;
  return { name: event.label.name, addedBy: event.action === 'labeled' ? event.sender.login : undefined };
}

/** Reopening is the only way back from closed. */
export function reopens(event: PullRequestEvent): boolean {
  return event.action === 'reopened' || event.action === 'opened';
}

/**
 * Pull request payloads carry what installation events do not: the clone URL and default branch; and the
 * repository's current name, which follows a rename or transfer that Glimpse was not told about.
 */
async function rememberRepository(
  tx: Database,
  repo: { id: string; fullName: string; cloneUrl: string | null; defaultBranch: string | null },
  event: PullRequestEvent,
): Promise<void> {
  const cloneUrl = event.repository.clone_url ?? repo.cloneUrl;
  const defaultBranch = event.repository.default_branch ?? repo.defaultBranch;
  const fullName = event.repository.full_name;
  if (cloneUrl === repo.cloneUrl && defaultBranch === repo.defaultBranch && fullName === repo.fullName)
    return;
  if (fullName !== repo.fullName) await releaseRepoName(tx, event.repository.id, fullName);
  await tx
    .update(repos)
    .set({ cloneUrl, defaultBranch, fullName, updatedAt: sql`now()` })
    .where(eq(repos.id, repo.id));
}
