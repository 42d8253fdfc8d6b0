import type { GlimpseConfig } from './glimpse-config.ts';

export interface GateFacts {
  isFork: boolean;
  isDraft: boolean;
  labels: readonly string[];
  /** Who added each label, as recorded from webhooks. */
  labelSenders: Readonly<Record<string, string>>;
  /** A team member asked for this preview through the API, MCP or CLI. */
  approvedBy: string | null;
  /** Set when the runtime must not run code from forks at all (local previews without a sandbox): why. */
  forksRefused: string | undefined;
}

export type GateDecision =
  | { kind: 'deploy' }
  | { kind: 'wait'; reason: string }
  /** The opt-in label is there, but only counts if whoever added it has write access to the base repo. */
  | { kind: 'check-labeler'; login: string };

/**
 * Whether a PR may deploy. Forks never deploy where the runtime cannot confine them, not even when approved.
 * Elsewhere forks never deploy on their own: only once someone with write access adds the
 * opt-in label (or a team member asks explicitly). Repos can require the label for every PR, and can skip
 * drafts until they are ready for review.
 */
export function decideDeployGate(config: GlimpseConfig, facts: GateFacts): GateDecision {
  if (facts.isFork && facts.forksRefused !== undefined) return { kind: 'wait', reason: facts.forksRefused };
  if (facts.approvedBy !== null) return { kind: 'deploy' };
  if (config.skipDrafts && facts.isDraft) {
    return { kind: 'wait', reason: 'Draft pull request: it deploys once it is marked ready for review.' };
  }
  const needsLabel = facts.isFork || config.requireLabel;
  if (!needsLabel) return { kind: 'deploy' };
  const who = facts.isFork ? 'a maintainer (someone with write access)' : 'someone';
  if (!facts.labels.includes(config.label)) {
    return {
      kind: 'wait',
      reason: `${facts.isFork ? 'Pull request from a fork: ' : ''}waiting for ${who} to add the \`${config.label}\` label.`,
    };
  }
  if (!facts.isFork) return { kind: 'deploy' };
  const labeler = facts.labelSenders[config.label];
  if (labeler === undefined) {
    return {
      kind: 'wait',
      reason: `Pull request from a fork: the \`${config.label}\` label must be added by a maintainer after the PR was opened.`,
    };
  }
  return { kind: 'check-labeler', login: labeler };
}
