import type { GlimpseConfig } from './glimpse-config.ts';

export interface GateFacts {
  isFork: boolean;
  isDraft: boolean;
  /** The PR's head commit now. */
  headSha: string;
  labels: readonly string[];
  /** Who added each label, as recorded from webhooks. */
  labelSenders: Readonly<Record<string, string>>;
  /** The head commit when each label was added. */
  labelShas: Readonly<Record<string, string>>;
  /** The last `/glimpse approve` or `/glimpse deploy` comment: who, for which head commit. */
  commentApproval: { login: string; sha: string } | null;
  /** A team member asked for this preview through the API, MCP, CLI or dashboard, at head `approvedSha`. */
  approvedBy: string | null;
  approvedSha: string | null;
  /** Set when the runtime must not run code from forks at all (local previews without a sandbox): why. */
  forksRefused: string | undefined;
}

/** Which gate holds a PR back: the timeline and `explain` name it. */
export type GateName = 'sandbox' | 'draft' | 'label' | 'fork-approval' | 'approver-access';

export type GateDecision =
  | { kind: 'deploy' }
  | { kind: 'wait'; gate: GateName; reason: string }
  /**
   * A fork's head commit was approved, by the opt-in label or a `/glimpse approve` comment; it only counts
   * if `login` has write access to the base repo.
   */
  | { kind: 'check-approver'; login: string; via: 'label' | 'comment' };

/**
 * Whether a PR may deploy. Forks never deploy where the runtime cannot confine them, not even when approved.
 * Elsewhere forks never deploy on their own: only a commit that someone with write access approved (by adding
 * the opt-in label or commenting `/glimpse approve` while it was the head), or when a team member asks
 * explicitly; a later push waits for a new approval. Repos can require the label for every PR, and can skip
 * drafts until they are ready for review; `/glimpse deploy` from someone with write access deploys those.
 */
export function decideDeployGate(config: GlimpseConfig, facts: GateFacts): GateDecision {
  if (facts.isFork && facts.forksRefused !== undefined)
    return { kind: 'wait', gate: 'sandbox', reason: facts.forksRefused };
  // A member's request lets the PR deploy without the label; for a fork it approves one commit, as a label does.
  if (facts.approvedBy !== null && (!facts.isFork || facts.approvedSha === facts.headSha))
    return { kind: 'deploy' };
  const decision = decideWithoutComment(config, facts);
  // `/glimpse approve` (or deploy) at the head lets what waits deploy: a fork's new commit, a draft, a PR
  // without the required label.
  if (decision.kind === 'wait' && facts.commentApproval?.sha === facts.headSha) {
    return { kind: 'check-approver', login: facts.commentApproval.login, via: 'comment' };
  }
  return decision;
}

function decideWithoutComment(config: GlimpseConfig, facts: GateFacts): GateDecision {
  if (config.skipDrafts && facts.isDraft) {
    return {
      kind: 'wait',
      gate: 'draft',
      reason: 'Draft pull request: it deploys once it is marked ready for review.',
    };
  }
  if (!facts.isFork) {
    if (!config.requireLabel || facts.labels.includes(config.label)) return { kind: 'deploy' };
    return {
      kind: 'wait',
      gate: 'label',
      reason: `waiting for someone to add the \`${config.label}\` label.`,
    };
  }
  if (!facts.labels.includes(config.label)) {
    if (facts.commentApproval !== null)
      return { kind: 'wait', gate: 'fork-approval', reason: newCommits(facts, facts.commentApproval) };
    if (facts.approvedBy !== null)
      return {
        kind: 'wait',
        gate: 'fork-approval',
        reason: newCommits(facts, { login: facts.approvedBy, sha: facts.approvedSha ?? undefined }),
      };
    return {
      kind: 'wait',
      gate: 'fork-approval',
      reason: `Pull request from a fork: waiting for a maintainer (someone with write access) to add the \`${config.label}\` label or comment \`/glimpse approve\`.`,
    };
  }
  const labeler = facts.labelSenders[config.label];
  if (labeler === undefined) {
    return {
      kind: 'wait',
      gate: 'fork-approval',
      reason: `Pull request from a fork: the \`${config.label}\` label must be added by a maintainer after the PR was opened.`,
    };
  }
  const labelSha = facts.labelShas[config.label];
  if (labelSha !== facts.headSha)
    return {
      kind: 'wait',
      gate: 'fork-approval',
      reason: newCommits(facts, { login: labeler, sha: labelSha }),
    };
  return { kind: 'check-approver', login: labeler, via: 'label' };
}

/** Why a fork that was approved before waits again: its head moved on since. */
function newCommits(facts: GateFacts, approval: { login: string; sha: string | undefined }): string {
  const before = approval.sha === undefined ? 'an earlier commit' : `\`${approval.sha.slice(0, 7)}\``;
  return `Pull request from a fork: ${approval.login} approved ${before}, and new commits were pushed since. A maintainer must approve \`${facts.headSha.slice(0, 7)}\`: comment \`/glimpse approve\`.`;
}
