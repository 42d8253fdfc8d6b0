import { fork } from 'node:child_process';
import pg from 'pg';
import { nextMessage } from '../local-preview/child-process.ts';
import type { ChildMessage, RecordedDeliveries, TargetName } from './target-process.ts';

export interface RunningTarget {
  name: TargetName;
  port: number;
  /** CPU time the target's process has used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  /** What the target's database recorded (Glimpse targets only). */
  recorded(): Promise<RecordedDeliveries>;
  stop(): Promise<void>;
}

const CHILD = new URL('./target-process.ts', import.meta.url).pathname;

/** The PostgreSQL server scratch databases are created on (`TEST_DATABASE_URL`, else the local one). */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Undefined when PostgreSQL answers, else why not. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts a target in its own process; `BENCH_PROFILE=<dir>` writes its CPU profile there. */
export async function startTarget(name: TargetName): Promise<RunningTarget> {
  const profileDir = process.env.BENCH_PROFILE;
  const child = fork(CHILD, [name], {
    env: { ...process.env, TEST_DATABASE_URL: POSTGRES_URL, LOG_LEVEL: 'silent' },
    execArgv: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  try {
    const { port } = await nextMessage<ChildMessage, 'ready'>(child, 'ready', 60_000);
    return {
      name,
      port,
      async cpuMicros() {
        const answer = nextMessage<ChildMessage, 'cpu'>(child, 'cpu', 10_000);
        child.send({ type: 'cpu' });
        return (await answer).micros;
      },
      async recorded() {
        const answer = nextMessage<ChildMessage, 'recorded'>(child, 'recorded', 60_000);
        child.send({ type: 'check' });
        return (await answer).recorded;
      },
      async stop() {
        if (child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.send({ type: 'stop' });
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
