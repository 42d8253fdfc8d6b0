import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findProgram } from '../../src/runtimes/local/find-program.ts';
import type { CpuLayout } from './cpu-layout.ts';

const run = promisify(execFile);

/** What a closed-loop run measured: answered requests a second, latency of the answered ones, failures. */
export interface ClosedLoopFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
}

interface Target {
  port: number;
  host: string;
  connections: number;
  seconds: number;
}

/** wrk (Debian `wrk`) when installed: a load generator in C, cheaper per request than one in node. */
export function findWrk(): string | undefined {
  return findProgram(process.env.PATH ?? '', 'wrk');
}

/** One thread of wrk keeps `connections` keep-alive connections busy for `seconds`, on the load CPU. */
export async function runWrk(
  wrk: string,
  target: Target,
  layout: CpuLayout | undefined,
): Promise<ClosedLoopFigures> {
  const args = [
    ...['--threads', '1', '--connections', String(target.connections), '--duration', `${target.seconds}s`],
    ...['--latency', '--header', `Host: ${target.host}`, `http://127.0.0.1:${target.port}/`],
  ];
  const { stdout } = await (layout === undefined
    ? run(wrk, args)
    : run(layout.taskset, ['--cpu-list', layout.load, wrk, ...args]));
  return parseWrkOutput(stdout);
}

/** The figures of wrk's report (`--latency`); throws when a line it must have is missing. */
export function parseWrkOutput(output: string): ClosedLoopFigures {
  const field = (pattern: RegExp, what: string): RegExpMatchArray => {
    const match = output.match(pattern);
    if (match === null) throw new Error(`wrk printed no ${what}:\n${output}`);
    return match;
  };
  const latency = (percent: number) => {
    const [, value, unit] = field(
      new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm'),
      `${percent}% latency`,
    );
    return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit as 'us' | 'ms' | 's'];
  };
  const answered = Number(field(/^\s*(\d+) requests in /m, 'request count')[1]);
  const seconds = Number(field(/^\s*\d+ requests in ([\d.]+)s/m, 'duration')[1]);
  const non2xx = Number(output.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socketErrors = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socketErrors?.slice(1).reduce((sum, count) => sum + Number(count), 0) ?? 0);
  return { requestsPerSecond: (answered - non2xx) / seconds, p50: latency(50), p99: latency(99), errors };
}
