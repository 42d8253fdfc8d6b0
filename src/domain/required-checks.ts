/**
 * How the reason of a preview that failed because a required check (`waitForChecks`) failed begins. The check
 * webhooks look for it: a check run again and passing brings such a preview back, unlike other failures.
 */
export const REQUIRED_CHECK_FAILED = 'Required check failed:';
