/** Whether an event is part of the normal course of a preview or something a person may need to act on. */
export const EVENT_TYPES = ['Normal', 'Warning'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Why an environment's timeline got an entry: a fixed vocabulary, so programs can match on it. Each reason is
 * written in the same transaction as the change it explains.
 */
export const EVENT_REASONS = [
  /** A pull request was opened or reopened: its preview is wanted. */
  'PullRequestOpened',
  /** New commits were pushed to the pull request. */
  'PushReceived',
  /** Something else about the pull request changed: a label, its draft state, its base branch. */
  'PullRequestUpdated',
  /** The pull request was closed (or found closed by the resync pass): its preview goes away. */
  'PullRequestClosed',
  /** A deploy in progress was cancelled because a newer commit or request arrived. */
  'Superseded',
  /** The deploy gate holds the preview back (fork without approval, draft, label missing): `details.gate`. */
  'GateBlocked',
  /** The preview waits for required checks: `details.checks`. */
  'WaitingForChecks',
  /** `.glimpse.yml` is missing or invalid. */
  'ConfigInvalid',
  /** Every deploy slot is busy: `details.position`. */
  'Queued',
  /** A deploy started: `details.sha`, `details.attempt`, `details.trigger`. */
  'Building',
  /** The runtime applied the preview's resources: `details.objects`. */
  'Applied',
  /** The preview is rolling out (its workloads are starting). */
  'RolloutProgress',
  /** The preview answered its health check: `details.seconds` since the deploy started. */
  'HealthCheckPassed',
  /** The preview runs at its URL. */
  'Running',
  /** The deploy or the running preview failed: `details.reason`. */
  'Failed',
  /** A temporary failure: another attempt follows (`details.attempt`, `details.delaySeconds`). */
  'Retrying',
  /** The preview's time to live ran out. */
  'Expired',
  /** Its resources are being deleted. */
  'Deleting',
  /** Everything it ran is gone. */
  'Deleted',
  /** Resources of a running preview vanished: the resync pass deploys it again. */
  'ResourcesMissing',
  /** The pull request comment was created or updated. */
  'CommentUpdated',
  /** A person asked for a redeploy, retry, deploy or deletion: `details.actor`, `details.action`. */
  'ActionBy',
] as const;
export type EventReason = (typeof EVENT_REASONS)[number];

/** One entry of an environment's timeline, as written. */
export interface EnvironmentEvent {
  type: EventType;
  reason: EventReason;
  /** One plain sentence. */
  message: string;
  details?: Record<string, unknown>;
}

/** Events of one environment kept at most, and for at most this many days (pruned by the resync pass). */
export const EVENTS_KEPT_PER_ENVIRONMENT = 200;
export const EVENTS_KEPT_DAYS = 30;

export const normal = (
  reason: EventReason,
  message: string,
  details?: Record<string, unknown>,
): EnvironmentEvent => ({ type: 'Normal', reason, message, ...(details === undefined ? {} : { details }) });

export const warning = (
  reason: EventReason,
  message: string,
  details?: Record<string, unknown>,
): EnvironmentEvent => ({ type: 'Warning', reason, message, ...(details === undefined ? {} : { details }) });
