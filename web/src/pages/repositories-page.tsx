import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { ConfigCheck } from '../components/config-check';
import { GithubAppNotice } from '../components/github-app-notice';
import { QueryState } from '../components/query-state';
import { RelativeTime } from '../components/relative-time';
import { Link } from '../router';

/**
 * `/repositories`: connected repositories, their installation and fork policy, the last check of their
 * `.glimpse.yml`, and their previews.
 */
export function RepositoriesPage() {
  const repos = useQuery({
    queryKey: ['repos'],
    queryFn: async () => unwrap(await api.GET('/api/v1/repos')),
  });
  return (
    <>
      <h1 tabIndex={-1}>Repositories</h1>
      <GithubAppNotice />
      <QueryState query={repos}>
        {(data) =>
          data.items.length === 0 ? (
            <p className="empty">No connected repository yet: install the GitHub App on one.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Team</th>
                    <th scope="col">Installation</th>
                    <th scope="col">Enabled</th>
                    <th scope="col">Forks</th>
                    <th scope="col">Last .glimpse.yml check</th>
                    <th scope="col">Previews</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((repo) => (
                    <tr key={repo.fullName}>
                      <td>
                        <Link to={`/?repo=${encodeURIComponent(repo.fullName)}`}>{repo.fullName}</Link>
                      </td>
                      <td>{repo.team}</td>
                      <td className="mono">{repo.installationId}</td>
                      <td>{repo.enabled ? 'yes' : 'no (uninstalled or removed)'}</td>
                      <td>{repo.forkPolicy}</td>
                      <td>
                        <ConfigCheck check={repo.lastConfigCheck} />
                      </td>
                      <td>{repo.previews}</td>
                      <td>
                        <RelativeTime iso={repo.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </>
  );
}
