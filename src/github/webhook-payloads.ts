import { z } from 'zod';

/** The parts of GitHub webhook payloads Glimpse uses; everything else is ignored. */

const Account = z.object({ login: z.string(), id: z.number(), type: z.string().optional() });

const Repository = z.object({
  id: z.number(),
  full_name: z.string(),
  clone_url: z.string().optional(),
  default_branch: z.string().optional(),
});

const InstallationRef = z.object({ id: z.number() });

export const PullRequestEvent = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    title: z.string(),
    html_url: z.string(),
    state: z.enum(['open', 'closed']),
    draft: z.boolean().optional().default(false),
    merged: z.boolean().nullable().optional(),
    updated_at: z.string(),
    user: z.object({ login: z.string() }).nullable(),
    labels: z.array(z.object({ name: z.string() })).default([]),
    head: z.object({
      sha: z.string().regex(/^[0-9a-f]{40}$/),
      ref: z.string(),
      // null when the fork was deleted
      repo: z.object({ id: z.number(), full_name: z.string() }).nullable(),
    }),
    base: z.object({ ref: z.string(), repo: z.object({ id: z.number(), full_name: z.string() }) }),
  }),
  label: z.object({ name: z.string() }).optional(),
  changes: z.object({ base: z.object({ ref: z.object({ from: z.string() }) }).optional() }).optional(),
  repository: Repository,
  installation: InstallationRef.optional(),
  sender: z.object({ login: z.string() }),
});
export type PullRequestEvent = z.infer<typeof PullRequestEvent>;

const InstalledRepository = z.object({ id: z.number(), full_name: z.string() });

export const InstallationEvent = z.object({
  action: z.string(),
  installation: z.object({ id: z.number(), account: Account.nullable() }),
  repositories: z.array(InstalledRepository).optional(),
});
export type InstallationEvent = z.infer<typeof InstallationEvent>;

export const InstallationRepositoriesEvent = z.object({
  action: z.string(),
  installation: z.object({ id: z.number(), account: Account.nullable() }),
  repositories_added: z.array(InstalledRepository).default([]),
  repositories_removed: z.array(InstalledRepository).default([]),
});
export type InstallationRepositoriesEvent = z.infer<typeof InstallationRepositoriesEvent>;

/** check_run, check_suite and status: a commit's checks changed; environments waiting on it re-evaluate. */
export const CommitCheckEvent = z.object({
  repository: Repository,
  check_run: z.object({ head_sha: z.string() }).optional(),
  check_suite: z.object({ head_sha: z.string() }).optional(),
  sha: z.string().optional(),
});
export type CommitCheckEvent = z.infer<typeof CommitCheckEvent>;

/** issue_comment: a comment on an issue or pull request (`issue.pull_request` is set on pull requests). */
export const IssueCommentEvent = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.object({}).optional() }),
  comment: z.object({ body: z.string(), user: z.object({ login: z.string() }) }),
  repository: Repository,
});
export type IssueCommentEvent = z.infer<typeof IssueCommentEvent>;
