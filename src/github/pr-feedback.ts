import { createHash } from 'node:crypto';
import { NotFound } from '../domain/errors.ts';
import { PR_COMMENT_MARKER } from '../domain/pr-comment.ts';
import type { Redactor } from '../domain/redactor.ts';
import type { GithubClient, RepoRef } from './github-client.ts';
import type { SendGuard } from './send-guard.ts';

export interface UpsertPrCommentInput {
  repo: RepoRef;
  prNumber: number;
  /** The rendered comment (renderPrComment); sanitised here before it is posted. */
  body: string;
  /** The comment id stored for this PR, if any. */
  commentId: number | null;
  /** Hash of the body last posted (as returned by this function), if any. */
  lastBodyHash: string | null;
  /** Removes Glimpse's secrets (and credential-looking text) from the comment. */
  redactor: Redactor;
  /**
   * False when no Glimpse comment can be on the PR yet (a brand-new environment): without a stored id the
   * comment is then created at once, without listing the PR's comments for the marker. Default true.
   */
  mayExist?: boolean;
  /** Checked right before each write is sent (see SendGuard). */
  guard?: SendGuard | undefined;
}

export interface UpsertPrCommentResult {
  commentId: number;
  bodyHash: string;
  /** `unchanged`: no request made; `recreated`: the stored comment was gone. */
  action: 'unchanged' | 'updated' | 'found' | 'created' | 'recreated';
}

export function hashCommentBody(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Keeps the one Glimpse comment on a PR up to date: a single PATCH when the id is known, no request
 * when nothing changed, and after a deletion the comment is found again by its hidden marker or
 * created anew.
 */
export async function upsertPrComment(
  github: GithubClient,
  input: UpsertPrCommentInput,
): Promise<UpsertPrCommentResult> {
  const marked = input.body.includes(PR_COMMENT_MARKER) ? input.body : `${PR_COMMENT_MARKER}\n${input.body}`;
  const body = input.redactor.redact(marked);
  const bodyHash = hashCommentBody(body);
  if (input.commentId !== null && bodyHash === input.lastBodyHash) {
    return { commentId: input.commentId, bodyHash, action: 'unchanged' };
  }
  if (input.commentId !== null) {
    try {
      await github.updateComment(input.repo, input.commentId, body, input.guard);
      return { commentId: input.commentId, bodyHash, action: 'updated' };
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
    }
  }
  const found =
    input.commentId === null && input.mayExist === false
      ? undefined
      : await github.findComment(input.repo, input.prNumber, PR_COMMENT_MARKER);
  if (found !== undefined) {
    await github.updateComment(input.repo, found, body, input.guard);
    return { commentId: found, bodyHash, action: 'found' };
  }
  const created = await github.createComment(input.repo, input.prNumber, body, input.guard);
  return { commentId: created, bodyHash, action: input.commentId === null ? 'created' : 'recreated' };
}
