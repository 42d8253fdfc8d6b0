import http from 'node:http';
import { createServer } from 'node:net';

/** What one probe saw: healthy (2xx, 3xx) or not, and in words what answered, for a failure message. */
export interface HealthProbe {
  healthy: boolean;
  /** `answered`: an HTTP status; `refused`: nothing listens; `silent`: no answer or a broken one. */
  kind: 'answered' | 'refused' | 'silent';
  seen: string;
}

/** One GET of the health path; healthy for 2xx and 3xx. */
export function probeHealth(port: number, healthPath: string, timeoutMs: number): Promise<HealthProbe> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port,
        path: healthPath,
        timeout: timeoutMs,
        agent: false,
        headers: { 'user-agent': 'glimpse-health' },
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve({ healthy: status >= 200 && status < 400, kind: 'answered', seen: `it answered ${status}` });
      },
    );
    let timedOut = false;
    request.on('timeout', () => {
      timedOut = true;
      request.destroy();
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const seen = timedOut
        ? `it accepted the connection but sent no answer within ${Math.ceil(timeoutMs / 1000)} s`
        : error.code === 'ECONNREFUSED'
          ? `nothing listened on port ${port} (connection refused)`
          : error.code === 'ECONNRESET' || error.code === 'EPIPE'
            ? 'it closed the connection without an answer'
            : `the request failed (${error.code ?? error.message})`;
      resolve({ healthy: false, kind: error.code === 'ECONNREFUSED' ? 'refused' : 'silent', seen });
    });
  });
}

/**
 * Polls the health path until it answers, `isDead()` says the process gave up, the signal aborts,
 * or `timeoutMs` passes. Returns why it stopped, and on a timeout what the last probe saw.
 */
export async function waitHealthy(options: {
  port: number;
  healthPath: string;
  timeoutMs: number;
  intervalMs: number;
  isDead: () => boolean;
  signal: AbortSignal;
}): Promise<{ outcome: 'healthy' | 'dead' | 'aborted' } | { outcome: 'timeout'; last: HealthProbe }> {
  const deadline = Date.now() + options.timeoutMs;
  // Most apps listen within a few hundred milliseconds: probe often at first, then every intervalMs.
  let pause = Math.min(20, options.intervalMs);
  let last: HealthProbe = { healthy: false, kind: 'silent', seen: 'no probe could be made in time' };
  for (;;) {
    if (options.signal.aborted) return { outcome: 'aborted' };
    if (options.isDead()) return { outcome: 'dead' };
    const left = deadline - Date.now();
    if (left <= 0) return { outcome: 'timeout', last };
    last = await probeHealth(options.port, options.healthPath, Math.min(2_000, left));
    if (last.healthy) return { outcome: 'healthy' };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
    pause = Math.min(options.intervalMs, pause * 2);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
