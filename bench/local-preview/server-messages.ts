/** What the parent asks the app and proxy processes of the throughput rounds, and what they answer. */
export type ServerParentMessage = { type: 'cpu' };
export type ServerChildMessage =
  | { type: 'ready'; port: number }
  /** CPU time (user + system) the process has used so far, in microseconds. */
  | { type: 'cpu'; micros: number };

export function cpuMicros(): ServerChildMessage {
  const usage = process.cpuUsage();
  return { type: 'cpu', micros: usage.user + usage.system };
}

/** The preview the proxy process routes to the app. */
export const BENCH_NAMESPACE = 'pr-bench-1';
