import type { ChildProcess } from 'node:child_process';
import { summarizeLatencies } from '../webhook-ingest/latency-stats.ts';
import { nextMessage, startChild, stopChild } from './child-process.ts';
import { type LoadResult, runClosedLoop, runFixedRate } from './http-load.ts';
import { median } from './median.ts';
import { BENCH_NAMESPACE, type ServerChildMessage, type ServerParentMessage } from './server-messages.ts';
import { startNginx } from './start-nginx.ts';

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
  /** CPU time per request of the app and of the process in between (0 direct), in microseconds. */
  appCpuUs: number;
  hopCpuUs: number;
}

/**
 * Straight to the app's port, through Glimpse's proxy, through a byte relay (`relay-process.ts`), and
 * through nginx when it is installed (`start-nginx.ts`).
 */
const PATHS = ['direct', 'proxied', 'relayed', 'nginx'] as const;
type PathName = (typeof PATHS)[number];

/** `nginx` is empty when nginx is not installed. */
export type ThroughputResult = { options: ThroughputOptions } & Record<PathName, PathRound[]>;

const WARM_UP_SECONDS = 1;

/**
 * The app, the proxy and the relay each in a process of their own, the load from this one: `rounds` rounds
 * of the same closed loop, then open loop at `fixedRate`, on each path, rotating which path goes first. CPU
 * per request is measured over the closed loop.
 */
export async function measureProxyThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const app = await startChild<ServerChildMessage>(
    new URL('./app-process.ts', import.meta.url),
    [String(options.appWorkUs)],
    { profile: false, readyMs: 10_000 },
  );
  try {
    const [proxy, relay] = await Promise.all([
      startChild<ServerChildMessage>(
        new URL('./proxy-process.ts', import.meta.url),
        [String(app.ready.port)],
        {
          profile: true,
          readyMs: 10_000,
        },
      ),
      startChild<ServerChildMessage>(
        new URL('./relay-process.ts', import.meta.url),
        [String(app.ready.port)],
        {
          profile: false,
          readyMs: 10_000,
        },
      ),
    ]);
    const nginx = await startNginx(app.ready.port);
    try {
      const childCpu = (child: ChildProcess) => () => cpuMicros(child);
      const paths: Partial<Record<PathName, { port: number; host: string; hopCpu: () => Promise<number> }>> =
        {
          direct: { port: app.ready.port, host: `127.0.0.1:${app.ready.port}`, hopCpu: async () => 0 },
          proxied: {
            port: proxy.ready.port,
            host: `${BENCH_NAMESPACE}.localhost:${proxy.ready.port}`,
            hopCpu: childCpu(proxy.child),
          },
          relayed: {
            port: relay.ready.port,
            host: `127.0.0.1:${relay.ready.port}`,
            hopCpu: childCpu(relay.child),
          },
          ...(nginx === undefined
            ? {}
            : {
                nginx: {
                  port: nginx.port,
                  host: `127.0.0.1:${nginx.port}`,
                  hopCpu: async () => nginx.cpuMicros(),
                },
              }),
        };
      const names = PATHS.filter((name) => paths[name] !== undefined);
      const run = async (name: PathName, seconds: number): Promise<PathRound> => {
        const chosen = paths[name];
        if (chosen === undefined) throw new Error(`no ${name} path`);
        const { hopCpu, ...path } = chosen;
        const target = { ...path, connections: options.connections, seconds };
        const cpu = () => Promise.all([cpuMicros(app.child), hopCpu()]);
        const before = await cpu();
        const load = await runClosedLoop(target);
        const after = await cpu();
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
          hopCpuUs: (after[1] - before[1]) / Math.max(1, ok),
        };
      };
      for (const name of names) await run(name, WARM_UP_SECONDS);
      const result: ThroughputResult = { options, direct: [], proxied: [], relayed: [], nginx: [] };
      for (let round = 0; round < options.rounds; round++) {
        // Each round starts with another path, so none always runs on a machine warmed by the others.
        for (let i = 0; i < names.length; i++) {
          const name = names[(round + i) % names.length] as PathName;
          result[name].push(await run(name, options.seconds));
        }
      }
      return result;
    } finally {
      await Promise.all([
        stopChild(proxy.child, 'SIGINT', 10_000),
        stopChild(relay.child, 'SIGINT', 10_000),
        nginx?.stop(),
      ]);
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
    hopCpuUs: of((r) => r.hopCpuUs),
  };
}
