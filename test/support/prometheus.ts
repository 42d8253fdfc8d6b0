import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/runtimes/local/health-check.ts';
import { waitFor } from './wait-for.ts';

/** Debian's `prometheus` package (installed by .ci/run with apt-get): the server and promtool. */
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

/** Tests of the real Prometheus run where it is installed, and always in CI (where its absence is a failure). */
export const prometheusTestsEnabled =
  (existsSync(PROMETHEUS) && existsSync(PROMTOOL)) || process.env.CI === 'true';

/** Fails at once, saying what to install, when a binary of the package is missing (in CI, that is a failure). */
export function requirePrometheusBinary(binary: string): string {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: install Debian's prometheus package (apt-get install prometheus)`);
  }
  return binary;
}

/** One sample of the text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the Prometheus text format (as prom-client writes it: no timestamps) into samples. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name = '', value = ''] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name] = value;
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample named `name` whose labels are exactly `labels` (undefined: no such sample). */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).sort();
  return samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(wanted),
  )?.value;
}

export interface PrometheusServer {
  url: string;
  /** An instant PromQL query over the HTTP API; the vector's samples. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  close(): Promise<void>;
}

/**
 * A real Prometheus on loopback, with a config and data dir of its own, scraping `target` (host:port) every
 * second. Never a system service: the binary runs as a child of the test and is stopped by it.
 */
export async function startPrometheus(options: {
  target: string;
  bearerToken?: string;
}): Promise<PrometheusServer> {
  requirePrometheusBinary(PROMETHEUS);
  const dir = mkdtempSync(path.join(tmpdir(), 'glimpse-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: glimpse',
      ...(options.bearerToken === undefined
        ? []
        : ['    authorization:', `      credentials: ${options.bearerToken}`]),
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.console.templates=',
      '--web.console.libraries=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4_000);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const close = async () => {
    if (child.exitCode === null && spawnError === undefined) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (spawnError !== undefined || child.exitCode !== null)
          throw new Error(`prometheus did not start: ${spawnError?.message ?? log}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok;
      },
      30_000,
      'prometheus to be ready',
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || body.data?.resultType !== 'vector')
        throw new Error(`query ${promql} failed: ${body.error ?? JSON.stringify(body)}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    close,
  };
}
