import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { QueryState } from './query-state';
import { RelativeTime } from './relative-time';

/**
 * The preview's timeline, oldest first: why each change happened. Its query sits under the preview's key, so
 * a live change of the preview reloads it too. Messages are text, never HTML; the type is a word, not a colour.
 */
export function EventTimeline({ namespace }: { namespace: string }) {
  const events = useQuery({
    queryKey: ['environment', namespace, 'events'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/environments/{ref}/events', {
          params: { path: { ref: namespace }, query: { limit: 200 } },
        }),
      ),
  });
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <QueryState query={events}>
        {(data) =>
          data.items.length === 0 ? (
            <p className="empty">No events yet.</p>
          ) : (
            <ol className="timeline" aria-label="Events, oldest first">
              {data.items.map((event) => (
                <li key={event.id} className={`event event-${event.type.toLowerCase()}`}>
                  <RelativeTime iso={event.time} /> <strong>{event.reason}</strong>
                  {event.type === 'Warning' ? <span className="event-type"> (warning)</span> : null}:{' '}
                  <span className="event-message">{event.message}</span>
                </li>
              ))}
            </ol>
          )
        }
      </QueryState>
    </section>
  );
}
