import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { summarizeLatencies } from '../webhook-ingest/latency-stats.ts';
import { nextMessage, startChild, stopChild } from './child-process.ts';
import { chooseCpuLayout, describeCpuLayout, pinGroup, pinProcess } from './cpu-layout.ts';
import { type LoadResult, runClosedLoop, runFixedRate } from './http-load.ts';
import { median } from './median.ts';
import { startSandboxedApp } from './sandboxed-app.ts';
import { BENCH_NAMESPACE, type ServerChildMessage, type ServerParentMessage } from './server-messages.ts';
import { startNginx } from './start-nginx.ts';
import { type ClosedLoopFigures, findWrk, runWrk } from './wrk-load.ts';

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
export type ThroughputResult = { options: ThroughputOptions; setup: ThroughputSetup } & Record<
  PathName,
  PathRound[]
>;

/** How the rounds were run, in words for the report. */
export interface ThroughputSetup {
  loadGenerator: string;
  cpus: string;
  sandbox: string;
  scheduling: string;
}

const WARM_UP_SECONDS = 1;

/**
 * The app (in the sandbox previews get here), the proxy and the relay each in a process of their own, the
 * load from wrk when installed (else from this process), each pinned to CPUs (`cpu-layout.ts`): `rounds`
 * rounds of the same closed loop, then open loop at `fixedRate` from this process, on each path, rotating
 * which path goes first. CPU per request is measured over the closed loop.
 */
export async function measureProxyThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const layout = chooseCpuLayout();
  const wrk = findWrk();
  const app = await startSandboxedApp(options.appWorkUs);
  try {
    const [proxy, relay] = await Promise.all([
      startChild<ServerChildMessage>(new URL('./proxy-process.ts', import.meta.url), [String(app.port)], {
        profile: true,
        readyMs: 10_000,
      }),
      startChild<ServerChildMessage>(new URL('./relay-process.ts', import.meta.url), [String(app.port)], {
        profile: false,
        readyMs: 10_000,
      }),
    ]);
    const nginx = await startNginx(app.port);
    if (layout !== undefined) {
      pinProcess(layout, process.pid, layout.load);
      pinGroup(layout, app.pgid, layout.app);
      for (const child of [proxy.child, relay.child]) pinProcess(layout, child.pid as number, layout.hop);
      if (nginx !== undefined) pinGroup(layout, nginx.pgid, layout.hop);
    }
    try {
      const childCpu = (child: ChildProcess) => () => cpuMicros(child);
      const paths: Partial<Record<PathName, { port: number; host: string; hopCpu: () => Promise<number> }>> =
        {
          direct: { port: app.port, host: `127.0.0.1:${app.port}`, hopCpu: async () => 0 },
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
        const cpu = () => Promise.all([app.cpuMicros(), hopCpu()]);
        const before = await cpu();
        const started = performance.now();
        const load =
          wrk === undefined
            ? closedLoopFigures(await runClosedLoop(target))
            : await runWrk(wrk, target, layout);
        const answered = (load.requestsPerSecond * (performance.now() - started)) / 1000;
        const after = await cpu();
        const fixed = await runFixedRate({ ...target, rate: options.fixedRate });
        const fixedLatency = summarizeLatencies(fixed.latenciesMs);
        return {
          requestsPerSecond: load.requestsPerSecond,
          p50: load.p50,
          p99: load.p99,
          fixedP50: fixedLatency.p50,
          fixedP99: fixedLatency.p99,
          errors: load.errors + fixed.errors + unanswered(fixed),
          appCpuUs: (after[0] - before[0]) / Math.max(1, answered),
          hopCpuUs: (after[1] - before[1]) / Math.max(1, answered),
        };
      };
      for (const name of names) await run(name, WARM_UP_SECONDS);
      const result: ThroughputResult = {
        options,
        setup: {
          loadGenerator:
            wrk === undefined ? 'a closed loop in node (wrk is not installed)' : `wrk (${wrk}), one thread`,
          cpus: describeCpuLayout(layout),
          sandbox: app.sandbox,
          scheduling: app.scheduling,
        },
        direct: [],
        proxied: [],
        relayed: [],
        nginx: [],
      };
      for (let round = 0; round < options.rounds; round++) {
        // Each round starts with another path, so none always runs on a machine warmed by the others.
        for (let i = 0; i < names.length; i++) {
          const name = names[(round + i) % names.length] as PathName;
          result[name].push(await run(name, options.seconds));
        }
      }
      return result;
    } finally {
      if (layout !== undefined) pinProcess(layout, process.pid, `0-${availableParallelism() - 1}`);
      await Promise.all([
        stopChild(proxy.child, 'SIGINT', 10_000),
        stopChild(relay.child, 'SIGINT', 10_000),
        nginx?.stop(),
      ]);
    }
  } finally {
    await app.stop();
  }
}

/** The figures of the node closed loop, as wrk reports them. */
function closedLoopFigures(load: LoadResult): ClosedLoopFigures {
  const latency = summarizeLatencies(load.latenciesMs);
  return {
    requestsPerSecond: load.latenciesMs.length / (load.elapsedMs / 1000),
    p50: latency.p50,
    p99: latency.p99,
    errors: load.errors,
  };
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
