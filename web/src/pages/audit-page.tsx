import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { QueryState } from '../components/query-state';
import { RelativeTime } from '../components/relative-time';

/** `/audit` (administrators): who did what, when, and how it went. */
export function AuditPage() {
  const audit = useQuery({
    queryKey: ['audit'],
    queryFn: async () => unwrap(await api.GET('/api/v1/audit')),
  });
  return (
    <>
      <h1 tabIndex={-1}>Audit</h1>
      <QueryState query={audit}>
        {(data) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((event) => (
                  <tr key={event.id}>
                    <td>
                      <RelativeTime iso={event.createdAt} />
                    </td>
                    <td>{event.actor}</td>
                    <td>{event.action}</td>
                    <td className="mono">{event.target ?? '—'}</td>
                    <td>{event.outcome}</td>
                    <td>{event.message ?? ''}</td>
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
