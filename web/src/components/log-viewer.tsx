import { useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';

const TAIL = 500;
const KEEP = 5_000;

/** The preview's logs: the last 500 lines, followed live (Server-Sent Events), filter, timestamps, download. */
export function LogViewer({ namespace }: { namespace: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(true);
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('loading');
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setLines([]);
    const query = `tailLines=${TAIL}&timestamps=${timestamps}`;
    const base = `/api/v1/environments/${encodeURIComponent(namespace)}/logs`;
    if (!follow) {
      let cancelled = false;
      setStatus('loading');
      void api
        .GET('/api/v1/environments/{ref}/logs', {
          params: {
            path: { ref: namespace },
            query: { tailLines: TAIL, timestamps: String(timestamps) as 'true' },
          },
          parseAs: 'text',
        })
        .then(unwrap)
        .then(
          (text) => {
            if (cancelled) return;
            setLines(
              String(text)
                .split('\n')
                .filter((line, i, all) => line !== '' || i < all.length - 1),
            );
            setStatus('');
          },
          (error: unknown) => !cancelled && setStatus(error instanceof Error ? error.message : 'failed'),
        );
      return () => {
        cancelled = true;
      };
    }
    const source = new EventSource(`${base}?${query}&follow=true`);
    setStatus('following');
    source.onmessage = (event: MessageEvent<string>) =>
      setLines((before) => {
        const next = [...before, event.data];
        return next.length > KEEP ? next.slice(next.length - KEEP) : next;
      });
    source.addEventListener('end', () => {
      source.close();
      setStatus('the preview is gone: no more lines');
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setStatus('the log stream closed');
    };
    return () => source.close();
  }, [namespace, follow, timestamps]);

  useEffect(() => {
    if (follow && lines.length > 0) bottom.current?.scrollIntoView({ block: 'nearest' });
  }, [lines, follow]);

  const shown =
    filter === '' ? lines : lines.filter((line) => line.toLowerCase().includes(filter.toLowerCase()));
  const download = () => {
    const url = URL.createObjectURL(new Blob([`${lines.join('\n')}\n`], { type: 'text/plain' }));
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = `${namespace}.log`;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };
  return (
    <section aria-labelledby="logs-heading" className="logs">
      <h2 id="logs-heading">Logs</h2>
      <div className="log-controls">
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label className="check">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} />{' '}
          Timestamps
        </label>
        <label>
          Filter lines
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <button type="button" onClick={download} disabled={lines.length === 0}>
          Download
        </button>
        <span className="muted" aria-live="polite">
          {status}
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it */}
      <div className="log-output" role="log" aria-label="Log lines" tabIndex={0}>
        {shown.map((line, index) => (
          // Lines have no identity of their own; their position is stable while following.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <div key={index} className="log-line">
            {line}
          </div>
        ))}
        <div ref={bottom} />
      </div>
    </section>
  );
}
