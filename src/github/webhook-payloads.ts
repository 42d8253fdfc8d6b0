import { z } from 'zod';
import { PR_NUMBER_MAX } from '../domain/pr-number-max.ts';

/**
 * The parts of GitHub webhook payloads Glimpse uses; everything else is ignored. Every field is held to what
 * the database can store (PostgreSQL text refuses NUL, ids are bigints, PR numbers integers), so a signed
 * delivery with an out-of-range or malformed field is ignored, naming the field, instead of failing.
 */

/** Text PostgreSQL can store. */
const Text = z.string().refine((text) => !text.includes('\u0000'), 'must not contain a NUL character');
/** A GitHub id: a positive integer a bigint column (and a JavaScript number) holds exactly. */
const GithubId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const PrNumber = z.number().int().positive().max(PR_NUMBER_MAX);
const Timestamp = z.iso.datetime({ offset: true });
const Sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character hex commit sha');

const Account = z.object({ login: Text, id: GithubId, type: z.string().optional() });

const Repository = z.object({
  id: GithubId,
  full_name: Text,
  clone_url: Text.optional(),
  default_branch: Text.optional(),
});

const InstallationRef = z.object({ id: GithubId });

export const PullRequestEvent = z.object({
  action: Text,
  number: PrNumber,
  pull_request: z.object({
    title: Text,
    html_url: Text,
    state: z.enum(['open', 'closed']),
    draft: z.boolean().optional().default(false),
    merged: z.boolean().nullable().optional(),
    updated_at: Timestamp,
    user: z.object({ login: Text }).nullable(),
    labels: z.array(z.object({ name: Text })).default([]),
    head: z.object({
      sha: Sha,
      ref: Text,
      // null when the fork was deleted
      repo: z.object({ id: GithubId, full_name: Text }).nullable(),
    }),
    base: z.object({ ref: Text, repo: z.object({ id: GithubId, full_name: Text }) }),
  }),
  label: z.object({ name: Text }).optional(),
  changes: z.object({ base: z.object({ ref: z.object({ from: Text }) }).optional() }).optional(),
  repository: Repository,
  installation: InstallationRef.optional(),
  sender: z.object({ login: Text }),
});
export type PullRequestEvent = z.infer<typeof PullRequestEvent>;

const InstalledRepository = z.object({ id: GithubId, full_name: Text });

export const InstallationEvent = z.object({
  action: Text,
  installation: z.object({ id: GithubId, account: Account.nullable() }),
  repositories: z.array(InstalledRepository).optional(),
});
export type InstallationEvent = z.infer<typeof InstallationEvent>;

export const InstallationRepositoriesEvent = z.object({
  action: Text,
  installation: z.object({ id: GithubId, account: Account.nullable() }),
  repositories_added: z.array(InstalledRepository).default([]),
  repositories_removed: z.array(InstalledRepository).default([]),
});
export type InstallationRepositoriesEvent = z.infer<typeof InstallationRepositoriesEvent>;

/** check_run, check_suite and status: a commit's checks changed; environments waiting on it re-evaluate. */
export const CommitCheckEvent = z.object({
  repository: Repository,
  check_run: z.object({ head_sha: Text }).optional(),
  check_suite: z.object({ head_sha: Text }).optional(),
  sha: Text.optional(),
});
export type CommitCheckEvent = z.infer<typeof CommitCheckEvent>;

/** `repository`: renamed, transferred, deleted (and actions Glimpse ignores). */
export const RepositoryEvent = z.object({ action: Text, repository: Repository });
export type RepositoryEvent = z.infer<typeof RepositoryEvent>;

/** issue_comment: a comment on an issue or pull request (`issue.pull_request` is set on pull requests). */
export const IssueCommentEvent = z.object({
  action: Text,
  issue: z.object({ number: PrNumber, pull_request: z.object({}).optional() }),
  comment: z.object({ body: Text, user: z.object({ login: Text }) }),
  repository: Repository,
});
export type IssueCommentEvent = z.infer<typeof IssueCommentEvent>;

/**
 * The pull request a delivery is about, when it is about one: `number` on pull_request events, `issue` on
 * comments on a pull request. Recorded with the delivery, so a PR that got no preview still has its answer.
 */
export const DeliverySubject = z.object({
  repository: z.object({ full_name: Text.max(200) }),
  number: PrNumber.optional(),
  issue: z.object({ number: PrNumber, pull_request: z.object({}).optional() }).optional(),
});
export type DeliverySubject = z.infer<typeof DeliverySubject>;
