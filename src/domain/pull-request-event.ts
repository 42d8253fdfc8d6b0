import { type EnvironmentEvent, normal } from './environment-event.ts';

/** What a pull request webhook said, in the plain values its timeline entry needs. */
export interface PullRequestAction {
  action: string;
  number: number;
  headSha: string;
  sender: string;
  merged: boolean;
  label: string | undefined;
  baseFrom: string | undefined;
  baseTo: string;
}

/** The timeline entry a recorded pull request webhook writes. */
export function pullRequestEvent(pr: PullRequestAction): EnvironmentEvent {
  const sha = pr.headSha.slice(0, 7);
  const details = { action: pr.action, sender: pr.sender, sha: pr.headSha };
  switch (pr.action) {
    case 'opened':
      return normal(
        'PullRequestOpened',
        `Pull request #${pr.number} opened by ${pr.sender} at ${sha}.`,
        details,
      );
    case 'reopened':
      return normal(
        'PullRequestOpened',
        `Pull request #${pr.number} reopened by ${pr.sender} at ${sha}.`,
        details,
      );
    case 'synchronize':
      return normal('PushReceived', `${pr.sender} pushed ${sha}.`, details);
    case 'closed':
      return normal(
        'PullRequestClosed',
        `Pull request #${pr.number} ${pr.merged ? 'merged' : 'closed'} by ${pr.sender}.`,
        { ...details, merged: pr.merged },
      );
    case 'labeled':
    case 'unlabeled':
      return normal(
        'PullRequestUpdated',
        `Label "${pr.label ?? ''}" ${pr.action === 'labeled' ? 'added' : 'removed'} by ${pr.sender}.`,
        { ...details, label: pr.label },
      );
    case 'ready_for_review':
      return normal('PullRequestUpdated', `Marked ready for review by ${pr.sender}.`, details);
    case 'converted_to_draft':
      return normal('PullRequestUpdated', `Converted to a draft by ${pr.sender}.`, details);
    default:
      return normal(
        'PullRequestUpdated',
        pr.baseFrom === undefined
          ? `Pull request ${pr.action} by ${pr.sender}.`
          : `Base branch changed from ${pr.baseFrom} to ${pr.baseTo} by ${pr.sender}.`,
        details,
      );
  }
}
