import { waitFor } from './wait-for.ts';

export interface StreamEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface EventStream {
  status: number;
  events: StreamEvent[];
  /** Waits until an event matching `match` has arrived and returns it. */
  next(match: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

/** Opens a Server-Sent Events stream with fetch and collects its events (with ids and names) as they come. */
export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: StreamEvent[] = [];
  if (response.body !== null && response.ok) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
          let id: string | undefined;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) id = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) events.push({ id, event, data: data.join('\n') });
        }
      }
    })();
  }
  return {
    status: response.status,
    events,
    next: (match, timeoutMs = 10_000) =>
      waitFor(() => events.find(match), timeoutMs, 'an event on the stream'),
    close: () => abort.abort(),
  };
}
