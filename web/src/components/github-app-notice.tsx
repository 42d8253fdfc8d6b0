import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { ConnectGithub } from './connect-github';

/**
 * On the Previews and Repositories pages while Glimpse runs without a GitHub App (so GitHub sends it no pull
 * requests): an administrator gets the "Connect GitHub" action; once the App is connected, everyone reads that a
 * restart puts it to use.
 */
export function GithubAppNotice() {
  const app = useQuery({
    queryKey: ['github-app'],
    queryFn: async () => unwrap(await api.GET('/api/v1/github-app')),
  });
  if (app.data === undefined || app.data.appId !== null) return null;
  const { stored, connectPath } = app.data;
  return (
    <section className="notice" aria-labelledby="github-app-notice">
      <h2 id="github-app-notice">GitHub</h2>
      {stored !== null ? (
        <p>
          The GitHub App <a href={stored.htmlUrl}>{stored.name}</a>
          {stored.owner === null ? '' : ` (${stored.owner})`} is connected. Restart Glimpse to use it, then{' '}
          <a href={`${stored.htmlUrl}/installations/new`}>install it</a> on the repositories that should get
          previews.
        </p>
      ) : connectPath === null ? (
        <p>
          No GitHub App is connected, so GitHub sends Glimpse no pull requests: ask a Glimpse administrator to
          connect GitHub.
        </p>
      ) : (
        <>
          <p>No GitHub App is connected, so GitHub sends Glimpse no pull requests.</p>
          <ConnectGithub connectPath={connectPath} />
        </>
      )}
    </section>
  );
}
