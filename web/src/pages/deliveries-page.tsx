import { useQuery } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, unwrap } from '../api/client';
import { QueryState } from '../components/query-state';
import { RelativeTime } from '../components/relative-time';
import { navigate, useLocation } from '../router';

/** `/deliveries`: the latest webhooks and what became of them, so "why has my PR no preview?" has an answer. */
export function DeliveriesPage() {
  const { search } = useLocation();
  const repo = search.get('repo') ?? '';
  const deliveries = useQuery({
    queryKey: ['deliveries', repo],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/deliveries', { params: { query: repo === '' ? {} : { repo } } })),
  });
  const applyFilter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const chosen = String(new FormData(event.currentTarget).get('repo') ?? '').trim();
    navigate(chosen === '' ? '/deliveries' : `/deliveries?${new URLSearchParams({ repo: chosen })}`);
  };
  return (
    <>
      <h1 tabIndex={-1}>Deliveries</h1>
      <form className="filters" onSubmit={applyFilter} aria-label="Filter deliveries" key={repo}>
        <label>
          Repository
          <input name="repo" defaultValue={repo} placeholder="owner/name" />
        </label>
        <button type="submit">Show</button>
      </form>
      <QueryState query={deliveries}>
        {(data) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Repository</th>
                  <th scope="col">Pull request</th>
                  <th scope="col">Event</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Delivery</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.deliveryId}>
                    <td>
                      <RelativeTime iso={d.receivedAt} />
                    </td>
                    <td>{d.repo ?? '—'}</td>
                    <td>{d.prNumber === null ? '—' : `#${d.prNumber}`}</td>
                    <td>
                      {d.event}
                      {d.action === null ? '' : ` ${d.action}`}
                    </td>
                    <td>{d.outcome}</td>
                    <td>{d.detail ?? ''}</td>
                    <td className="mono">{d.deliveryId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </>
  );
}
