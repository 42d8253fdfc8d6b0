import type { EnvironmentView } from '../api/client';

/** The phase in words and colour; for a failed or waiting preview the reason shows on hover. */
export function PhaseBadge({ environment }: { environment: EnvironmentView }) {
  const reason =
    environment.phase === 'failed' ? environment.error : (environment.statusDetail ?? environment.error);
  return (
    <span className={`phase phase-${environment.phase}`} title={reason ?? undefined}>
      {environment.phase}
    </span>
  );
}
