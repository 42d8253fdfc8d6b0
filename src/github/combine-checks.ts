/** Combines check runs and commit statuses of a commit into one state, and a state per check name. */
export type CheckOutcome = 'success' | 'pending' | 'failure';

export interface CheckState {
  /** `none` when the commit has no checks at all. */
  state: CheckOutcome | 'none';
  checks: Record<string, CheckOutcome>;
}

interface CheckRunLike {
  name: string;
  status: string;
  conclusion: string | null;
}

interface StatusLike {
  context: string;
  state: string;
}

const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

export function combineChecks(runs: readonly CheckRunLike[], statuses: readonly StatusLike[]): CheckState {
  const checks: Record<string, CheckOutcome> = {};
  for (const run of runs) {
    checks[run.name] =
      run.status !== 'completed'
        ? 'pending'
        : PASSING_CONCLUSIONS.has(run.conclusion ?? '')
          ? 'success'
          : 'failure';
  }
  for (const status of statuses) {
    checks[status.context] =
      status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure';
  }
  const outcomes = Object.values(checks);
  const state =
    outcomes.length === 0
      ? 'none'
      : outcomes.includes('failure')
        ? 'failure'
        : outcomes.includes('pending')
          ? 'pending'
          : 'success';
  return { state, checks };
}
