import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { pathExists } from '../../path-exists.ts';
import { RuntimeFailure } from '../runtime.ts';
import type { KubeManifest } from './kube-manifest.ts';

export interface RenderChartInput {
  /** The repository as a .tar.gz (GitHub's tarball: one top-level directory). */
  tarball: Buffer;
  /** `kubernetes.chart`: the chart's directory inside the repository. */
  chartPath: string;
  namespace: string;
  releaseName: string;
  values: Record<string, unknown>;
  helmPath: string;
  /** PATH helm runs with. */
  searchPath: string;
  signal: AbortSignal;
}

/**
 * Unpacks the repository, then renders its chart with the real `helm template` into the namespace. A chart that
 * does not render fails permanently with helm's own message.
 */
export async function renderChart(input: RenderChartInput): Promise<KubeManifest[]> {
  const work = await mkdtemp(join(tmpdir(), 'glimpse-chart-'));
  try {
    const archive = join(work, 'source.tar.gz');
    await writeFile(archive, input.tarball);
    const sourceDir = join(work, 'source');
    await run('tar', ['-xzf', archive, '-C', sourceDir], { signal: input.signal, mkdir: sourceDir }).catch(
      (error: unknown) => {
        throw new RuntimeFailure(`the repository tarball could not be unpacked: ${stderrOf(error)}`, {
          transient: false,
          cause: error,
        });
      },
    );
    const root = await repositoryRoot(sourceDir);
    const chartDir = resolve(root, input.chartPath);
    const inside = relative(root, chartDir);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new RuntimeFailure(`kubernetes.chart "${input.chartPath}" points outside the repository`, {
        transient: false,
      });
    }
    if (!(await pathExists(join(chartDir, 'Chart.yaml')))) {
      throw new RuntimeFailure(
        `kubernetes.chart: there is no Chart.yaml in "${input.chartPath}" at this commit`,
        {
          transient: false,
        },
      );
    }
    const valuesFile = join(work, 'glimpse-values.json');
    await writeFile(valuesFile, JSON.stringify(input.values));
    const helmHome = join(work, 'helm');
    const args = [
      'template',
      input.releaseName,
      chartDir,
      '--namespace',
      input.namespace,
      '--values',
      valuesFile,
    ];
    let output: string;
    try {
      output = await run(input.helmPath, args, {
        signal: input.signal,
        env: {
          PATH: input.searchPath,
          HOME: helmHome,
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_DATA_HOME: join(helmHome, 'data'),
        },
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') {
        throw new RuntimeFailure(
          `helm was not found at "${input.helmPath}": install helm 3 or set its path`,
          {
            transient: false,
            cause: error,
          },
        );
      }
      if (input.signal.aborted) throw error;
      throw new RuntimeFailure(`helm template failed for chart "${input.chartPath}": ${stderrOf(error)}`, {
        transient: false,
        cause: error,
      });
    }
    return parseManifests(output, input.chartPath);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The YAML documents helm printed, `List` kinds flattened, empty documents skipped. */
export function parseManifests(text: string, source: string): KubeManifest[] {
  const out: KubeManifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new RuntimeFailure(`chart "${source}" rendered invalid YAML: ${doc.errors[0]?.message ?? ''}`, {
        transient: false,
      });
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const items = isList(value) ? value.items : [value];
    for (const item of items) out.push(asManifest(item, source));
  }
  return out;
}

function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown };
  return typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

function asManifest(value: unknown, source: string): KubeManifest {
  const v = value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  if (
    typeof v !== 'object' ||
    typeof v.apiVersion !== 'string' ||
    typeof v.kind !== 'string' ||
    typeof v.metadata?.name !== 'string'
  ) {
    throw new RuntimeFailure(
      `chart "${source}" rendered an object without apiVersion, kind or metadata.name`,
      {
        transient: false,
      },
    );
  }
  return value as KubeManifest;
}

async function repositoryRoot(dir: string): Promise<string> {
  const entries = await readdir(dir);
  const only = entries[0];
  if (entries.length === 1 && only !== undefined && (await stat(join(dir, only))).isDirectory()) {
    return join(dir, only);
  }
  return dir;
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  return text.trim().split('\n').slice(-10).join('\n');
}

async function run(
  file: string,
  args: string[],
  options: { signal: AbortSignal; env?: NodeJS.ProcessEnv; mkdir?: string },
): Promise<string> {
  if (options.mkdir !== undefined) await mkdir(options.mkdir, { recursive: true });
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      {
        signal: options.signal,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
        ...(options.env === undefined ? {} : { env: options.env }),
      },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolvePromise(stdout);
      },
    );
  });
}
