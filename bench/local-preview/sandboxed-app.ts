/**
 * The preview app of the throughput rounds, run as the local runtime runs a preview: a dependency-free
 * node:http app in a folder of its own, started by `spawnGroup` in the sandbox Glimpse would pick on this
 * machine (GLIMPSE_LOCAL_SANDBOX and GLIMPSE_LOCAL_UID_RANGE as for `glimpse serve`), with its port in PORT.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { describeSandbox, detectSandbox } from '../../src/runtimes/local/choose-sandbox.ts';
import { freePort, waitHealthy } from '../../src/runtimes/local/health-check.ts';
import { detectLimits } from '../../src/runtimes/local/limit-enforcement.ts';
import { spawnGroup, stopGroup } from '../../src/runtimes/local/process-group.ts';
import { groupCpuMicros } from './group-cpu.ts';

/** Spins for WORK_US microseconds per request (0: none), to compare with an app that does some work. */
const APP_SOURCE = `const http = require('node:http');
const workUs = Number(process.env.WORK_US);
http
  .createServer((_request, response) => {
    const until = performance.now() + workUs / 1000;
    while (performance.now() < until) {}
    response.end('hello from the preview\\n');
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

export interface SandboxedApp {
  port: number;
  /** The process group's pid: the sandbox's processes and the app. */
  pgid: number;
  /** The sandbox it runs in, as `glimpse doctor` describes it. */
  sandbox: string;
  /** How it is scheduled (GLIMPSE_LOCAL_SCHEDULING). */
  scheduling: string;
  /** CPU time of the whole group so far (sandbox and app), in microseconds. */
  cpuMicros(): number;
  stop(): Promise<void>;
}

export async function startSandboxedApp(workUs: number): Promise<SandboxedApp> {
  const { local } = loadConfig(process.env);
  const sandbox = detectSandbox(local);
  const { chrt } = detectLimits(local);
  const uid = sandbox.mode === 'none' ? undefined : sandbox.uids?.first;
  const dir = mkdtempSync(path.join(tmpdir(), 'glimpse-bench-app-'));
  // Readable by the preview's own uid, as a worktree is.
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'app.js'), APP_SOURCE);
  const port = await freePort();
  const child = spawnGroup('exec node app.js', {
    cwd: dir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', PORT: String(port), WORK_US: String(workUs) },
    confinement: { sandbox, writable: [dir], uid, limits: undefined, chrt },
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('the app did not start');
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    await stopGroup(pgid, 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = await waitHealthy({
    port,
    healthPath: '/',
    timeoutMs: 10_000,
    intervalMs: 100,
    isDead: () => child.exitCode !== null,
    signal: new AbortController().signal,
  });
  if (ready.outcome !== 'healthy') {
    await stop();
    throw new Error(`the sandboxed app did not answer on port ${port} (${ready.outcome}): ${output.trim()}`);
  }
  return {
    port,
    pgid,
    sandbox: describeSandbox(sandbox),
    scheduling:
      chrt === undefined
        ? 'as any process (GLIMPSE_LOCAL_SCHEDULING=normal, or no chrt)'
        : 'as batch work (SCHED_BATCH: GLIMPSE_LOCAL_SCHEDULING=batch, the default)',
    cpuMicros: () => groupCpuMicros(pgid),
    stop,
  };
}
