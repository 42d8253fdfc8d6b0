import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { GlimpseConfig } from '../../../src/domain/glimpse-config.ts';
import { createLocalRuntime, type LocalRuntime } from '../../../src/runtimes/local/local-runtime.ts';
import type { LocalRuntimeOptions } from '../../../src/runtimes/local/local-runtime-options.ts';
import { readProcStat } from '../../../src/runtimes/local/process-group.ts';
import type { EnvironmentSpec } from '../../../src/runtimes/runtime.ts';

/** Short timings so tests run in seconds; production defaults are in local-runtime-options.ts. */
export const FAST_TIMING = {
  healthIntervalMs: 50,
  stopGraceMs: 1_000,
  restartBackoffMs: 50,
  drainMs: 1_000,
  followIntervalMs: 50,
  cpuSampleMs: 50,
};

export interface Harness {
  runtime: LocalRuntime;
  dataDir: string;
  /** Every line the runtime logged through pino. */
  logLines: string[];
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `glimpse-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startHarness(
  dataDir: string,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<Harness> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const runtime = await createLocalRuntime({
    dataDir,
    proxyPort: 0,
    publicUrl: 'http://glimpse.test:3000',
    childPath: process.env.PATH ?? '',
    allowFileRepos: true,
    buildTimeoutMs: 20_000,
    healthTimeoutMs: 10_000,
    logger: pino({ level: 'debug' }, sink),
    sandbox: { mode: 'none', reason: 'GLIMPSE_LOCAL_SANDBOX=none' },
    timing: FAST_TIMING,
    ...options,
  });
  return { runtime, dataDir, logLines };
}

export function localConfig(
  local: Record<string, unknown>,
  top: Record<string, unknown> = {},
): GlimpseConfig {
  return GlimpseConfig.parse({ ...top, local: { start: 'node server.cjs', health: '/health', ...local } });
}

export function specFor(options: {
  cloneUrl: string;
  commitSha: string;
  namespace?: string;
  repoFullName?: string;
  prNumber?: number;
  config?: GlimpseConfig;
  fetchToken?: string;
  onPhase?: EnvironmentSpec['onPhase'];
}): EnvironmentSpec {
  const prNumber = options.prNumber ?? 1;
  const spec: EnvironmentSpec = {
    namespace: options.namespace ?? `pr-app-${prNumber}`,
    repoFullName: options.repoFullName ?? 'acme/app',
    prNumber,
    environmentId: `env-${prNumber}`,
    deploymentId: `dep-${options.commitSha.slice(0, 7)}-${Math.random().toString(36).slice(2, 8)}`,
    commitSha: options.commitSha,
    branch: 'feature',
    cloneUrl: options.cloneUrl,
    fetchToken: options.fetchToken,
    config: options.config ?? localConfig({}),
  };
  if (options.onPhase) spec.onPhase = options.onPhase;
  return spec;
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request through the proxy with the given Host header. */
export function request(port: number, host: string, urlPath = '/', agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: agent ?? false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
  });
}

export function hostOf(runtime: LocalRuntime, namespace: string): string {
  return new URL(runtime.urlOf(namespace)).host;
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}

/** True while the process runs; a zombie nobody reaped yet (PID 1 here may not reap) counts as dead. */
export function processAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

export { waitFor } from '../../support/wait-for.ts';
