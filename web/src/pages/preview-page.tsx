import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { DeploymentHistory } from '../components/deployment-history';
import { EnvironmentActions } from '../components/environment-actions';
import { EventTimeline } from '../components/event-timeline';
import { LogViewer } from '../components/log-viewer';
import { PhaseBadge } from '../components/phase-badge';
import { QuotaUse } from '../components/quota-use';
import { RelativeTime } from '../components/relative-time';
import { Link } from '../router';

/** `/environments/<namespace>`: one preview, its timeline, history, quota, logs and actions. */
export function PreviewPage({ namespace }: { namespace: string }) {
  const detail = useQuery({
    queryKey: ['environment', namespace],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/environments/{ref}', { params: { path: { ref: namespace } } })),
  });
  if (detail.isPending)
    return (
      <h1 tabIndex={-1} aria-busy="true">
        {namespace}
      </h1>
    );
  if (detail.isError)
    return (
      <>
        <h1 tabIndex={-1}>{namespace}</h1>
        <p role="alert" className="error">
          {detail.error.message}
        </p>
        <Link to="/">Back to previews</Link>
      </>
    );
  const env = detail.data;
  return (
    <>
      <p className="crumbs">
        <Link to="/">Previews</Link> / {env.repo}
      </p>
      <h1 tabIndex={-1}>
        {env.repo} #{env.prNumber} <PhaseBadge environment={env} />
      </h1>
      <p className="title">{env.prTitle ?? ''}</p>
      <EnvironmentActions environment={env} />
      <dl className="facts">
        <dt>Pull request</dt>
        <dd>
          {env.prUrl === null ? (
            '—'
          ) : (
            <a href={env.prUrl} rel="noreferrer noopener" target="_blank">
              {env.prUrl}
            </a>
          )}
        </dd>
        <dt>Author</dt>
        <dd>{env.author ?? '—'}</dd>
        <dt>Branch</dt>
        <dd className="mono">{env.branch ?? '—'}</dd>
        <dt>Head commit</dt>
        <dd className="mono">{env.headSha.slice(0, 12)}</dd>
        <dt>Deployed commit</dt>
        <dd className="mono">{env.deployedSha?.slice(0, 12) ?? '—'}</dd>
        <dt>URL</dt>
        <dd>
          {env.url === null ? (
            '—'
          ) : (
            <a href={env.url} rel="noreferrer noopener" target="_blank">
              {env.url}
            </a>
          )}
        </dd>
        <dt>Namespace</dt>
        <dd className="mono">{env.namespace}</dd>
        <dt>Status</dt>
        <dd>
          {env.error ?? env.statusDetail ?? (env.settled ? 'up to date' : 'working on the latest change')}
        </dd>
        <dt>Updated</dt>
        <dd>
          <RelativeTime iso={env.updatedAt} />
        </dd>
        <dt>Last deployed</dt>
        <dd>
          <RelativeTime iso={env.lastDeployedAt} />
        </dd>
      </dl>
      {env.warnings.length > 0 ? (
        <ul className="warnings" aria-label="Warnings">
          {env.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : null}
      <QuotaUse environment={env} />
      <EventTimeline namespace={env.namespace} />
      <DeploymentHistory deployments={env.deployments} />
      <LogViewer namespace={env.namespace} />
    </>
  );
}
