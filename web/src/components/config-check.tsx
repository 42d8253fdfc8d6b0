import type { RepoView } from '../api/client';
import { RelativeTime } from './relative-time';

const OUTCOME_TEXT = {
  valid: 'valid',
  invalid: 'invalid',
  missing: 'no .glimpse.yml (defaults)',
} as const;

/** The last read of a repository's `.glimpse.yml` for a deploy: valid, or the error, with where and when. */
export function ConfigCheck({ check }: { check: RepoView['lastConfigCheck'] }) {
  if (check === null) return <span className="muted">not read yet</span>;
  return (
    <div className="config-check">
      <span className={`outcome-${check.outcome}`}>{OUTCOME_TEXT[check.outcome]}</span>{' '}
      <span className="muted">
        for PR #{check.pr} at <span className="mono">{check.ref.slice(0, 12)}</span>,{' '}
        <RelativeTime iso={check.checkedAt} />
      </span>
      {check.error === null ? null : <pre className="error-text config-error">{check.error}</pre>}
    </div>
  );
}
