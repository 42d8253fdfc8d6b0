import http from 'node:http';
import { createServer } from 'node:net';

/** One GET of the health path; true for 2xx and 3xx. */
export function probeHealth(port: number, healthPath: string, timeoutMs: number): Promise<boolean> {
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
        resolve(status >= 200 && status < 400);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/**
 * Polls the health path until it answers, `isDead()` says the process gave up, the signal aborts,
 * or `timeoutMs` passes. Returns why it stopped.
 */
export async function waitHealthy(options: {
  port: number;
  healthPath: string;
  timeoutMs: number;
  intervalMs: number;
  isDead: () => boolean;
  signal: AbortSignal;
}): Promise<'healthy' | 'dead' | 'timeout' | 'aborted'> {
  const deadline = Date.now() + options.timeoutMs;
  // Most apps listen within a few hundred milliseconds: probe often at first, then every intervalMs.
  let pause = Math.min(20, options.intervalMs);
  for (;;) {
    if (options.signal.aborted) return 'aborted';
    if (options.isDead()) return 'dead';
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    if (await probeHealth(options.port, options.healthPath, Math.min(2_000, left))) return 'healthy';
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
