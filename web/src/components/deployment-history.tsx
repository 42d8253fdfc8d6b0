import type { DeploymentView } from '../api/client';
import { RelativeTime } from './relative-time';

function duration(start: string | null, end: string | null): string {
  if (start === null || end === null) return '—';
  const seconds = Math.round((new Date(end).getTime() - new Date(start).getTime()) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Every attempt to deploy, newest first: commit, trigger, who, when, how long, outcome, error. */
export function DeploymentHistory({ deployments }: { deployments: DeploymentView[] }) {
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Deployment history</h2>
      {deployments.length === 0 ? (
        <p className="empty">No deployment yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Commit</th>
                <th scope="col">Trigger</th>
                <th scope="col">By</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Outcome</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {deployments.map((d) => (
                <tr key={d.id}>
                  <td className="mono">
                    {d.commitSha.slice(0, 7)}
                    {d.attempt > 1 ? ` (attempt ${d.attempt})` : ''}
                  </td>
                  <td>{d.trigger}</td>
                  <td>{d.actor ?? '—'}</td>
                  <td>
                    <RelativeTime iso={d.startedAt ?? d.createdAt} />
                  </td>
                  <td>{duration(d.startedAt, d.finishedAt)}</td>
                  <td>
                    <span className={`outcome outcome-${d.status}`}>{d.status.replace('_', ' ')}</span>
                  </td>
                  <td className="error-text">{d.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
