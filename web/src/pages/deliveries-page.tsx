import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { QueryState } from '../components/query-state';
import { RelativeTime } from '../components/relative-time';

/** `/deliveries`: the latest webhooks and what became of them, so "why has my PR no preview?" has an answer. */
export function DeliveriesPage() {
  const deliveries = useQuery({
    queryKey: ['deliveries'],
    queryFn: async () => unwrap(await api.GET('/api/v1/deliveries')),
  });
  return (
    <>
      <h1 tabIndex={-1}>Deliveries</h1>
      <QueryState query={deliveries}>
        {(data) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Received</th>
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
