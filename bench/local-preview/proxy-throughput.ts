import type { ChildProcess } from 'node:child_process';
import { summarizeLatencies } from '../webhook-ingest/latency-stats.ts';
import { nextMessage, startChild, stopChild } from './child-process.ts';
import { type LoadResult, runClosedLoop, runFixedRate } from './http-load.ts';
import { median } from './median.ts';
import { BENCH_NAMESPACE, type ServerChildMessage, type ServerParentMessage } from './server-messages.ts';

export interface ThroughputOptions {
  /** CPU work the app does per request, in microseconds. */
  appWorkUs: number;
  connections: number;
  seconds: number;
  rounds: number;
  /** Requests per second of the open-loop phase, low enough for both paths to keep up. */
  fixedRate: number;
}

/** One path (direct or proxied) in one round. */
export interface PathRound {
  /** The closed loop: as many requests as the connections can get answered. */
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** The open loop at `fixedRate`: latency when neither path is saturated. */
  fixedP50: number;
  fixedP99: number;
  errors: number;
  /** CPU time per request of the app and of the proxy process (0 direct), in microseconds. */
  appCpuUs: number;
  proxyCpuUs: number;
}

export interface ThroughputResult {
  options: ThroughputOptions;
  direct: PathRound[];
  proxied: PathRound[];
}

const WARM_UP_SECONDS = 1;

/**
 * The app and the proxy each in a process of their own, the load from this one: `rounds` rounds of the
 * same closed loop, then open loop at `fixedRate`, straight to the app's port and through the proxy,
 * alternating which path goes first. CPU per request is measured over the closed loop.
 */
export async function measureProxyThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const app = await startChild<ServerChildMessage>(
    new URL('./app-process.ts', import.meta.url),
    [String(options.appWorkUs)],
    { profile: false, readyMs: 10_000 },
  );
  try {
    const proxy = await startChild<ServerChildMessage>(
      new URL('./proxy-process.ts', import.meta.url),
      [String(app.ready.port)],
      { profile: true, readyMs: 10_000 },
    );
    try {
      const paths = {
        direct: { port: app.ready.port, host: `127.0.0.1:${app.ready.port}` },
        proxied: { port: proxy.ready.port, host: `${BENCH_NAMESPACE}.localhost:${proxy.ready.port}` },
      };
      const run = async (name: keyof typeof paths, seconds: number): Promise<PathRound> => {
        const target = { ...paths[name], connections: options.connections, seconds };
        const before = await Promise.all([cpuMicros(app.child), cpuMicros(proxy.child)]);
        const load = await runClosedLoop(target);
        const after = await Promise.all([cpuMicros(app.child), cpuMicros(proxy.child)]);
        const fixed = await runFixedRate({ ...target, rate: options.fixedRate });
        const ok = load.latenciesMs.length;
        const latency = summarizeLatencies(load.latenciesMs);
        const fixedLatency = summarizeLatencies(fixed.latenciesMs);
        return {
          requestsPerSecond: ok / (load.elapsedMs / 1000),
          p50: latency.p50,
          p99: latency.p99,
          fixedP50: fixedLatency.p50,
          fixedP99: fixedLatency.p99,
          errors: load.errors + fixed.errors + unanswered(fixed),
          appCpuUs: (after[0] - before[0]) / Math.max(1, ok),
          proxyCpuUs: (after[1] - before[1]) / Math.max(1, ok),
        };
      };
      await run('direct', WARM_UP_SECONDS);
      await run('proxied', WARM_UP_SECONDS);
      const result: ThroughputResult = { options, direct: [], proxied: [] };
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const);
        for (const name of order) result[name].push(await run(name, options.seconds));
      }
      return result;
    } finally {
      await stopChild(proxy.child, 'SIGINT', 10_000);
    }
  } finally {
    await stopChild(app.child, 'SIGINT', 10_000);
  }
}

/** Requests of an open-loop run that got no answer at all. */
function unanswered(result: LoadResult): number {
  return result.requests - result.latenciesMs.length - result.errors;
}

async function cpuMicros(child: ChildProcess): Promise<number> {
  const answer = nextMessage<ServerChildMessage, 'cpu'>(child, 'cpu', 10_000);
  const ask: ServerParentMessage = { type: 'cpu' };
  child.send(ask);
  return (await answer).micros;
}

/** The medians of each figure over the rounds. */
export function medianRound(rounds: readonly PathRound[]): PathRound {
  const of = (pick: (round: PathRound) => number) => median(rounds.map(pick));
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    fixedP50: of((r) => r.fixedP50),
    fixedP99: of((r) => r.fixedP99),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    appCpuUs: of((r) => r.appCpuUs),
    proxyCpuUs: of((r) => r.proxyCpuUs),
  };
}
