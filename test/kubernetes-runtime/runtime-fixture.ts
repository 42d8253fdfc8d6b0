import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GlimpseConfig } from '../../src/domain/glimpse-config.ts';
import { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { KubernetesRuntimeOptions } from '../../src/runtimes/kubernetes/kubernetes-runtime-options.ts';
import type { EnvironmentSpec } from '../../src/runtimes/runtime.ts';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import { onRealKube } from '../support/kube-target.ts';
import { ensureKubeTools } from '../support/kube-tools.ts';

export const FAST_KUBELET = {
  startDelayMs: 30,
  retryIntervalMs: 100,
  logIntervalMs: 60_000,
  terminationDelayMs: 30,
};

/**
 * A runtime that polls and backs off quickly. On a real control plane the timeouts are long: the namespace
 * controller, the scheduler and kwok take seconds on a loaded machine where the simulator takes milliseconds.
 */
export function fastRuntime(
  kube: { kubeconfigPath: string },
  options: Partial<KubernetesRuntimeOptions> = {},
): KubernetesRuntime {
  return new KubernetesRuntime({
    kubeconfig: kube.kubeconfigPath,
    baseDomain: 'preview.example.test',
    deployTimeoutMs: onRealKube ? 120_000 : 10_000,
    deleteTimeoutMs: onRealKube ? 120_000 : 5_000,
    timing: { pollIntervalMs: 100, deleteBackoffMinMs: 20, deleteBackoffMaxMs: 100, watchTimeoutSeconds: 30 },
    ...options,
  });
}

export function specFor(
  prNumber: number,
  kubernetes: Record<string, unknown>,
  overrides: Partial<EnvironmentSpec> & { env?: Record<string, string> } = {},
): EnvironmentSpec {
  const { env, ...rest } = overrides;
  return {
    namespace: `pr-web-${prNumber}`,
    repoFullName: 'acme/Web',
    prNumber,
    environmentId: `env-${prNumber}`,
    deploymentId: `dep-${prNumber}-1`,
    commitSha: 'a'.repeat(40),
    branch: 'feature/login',
    cloneUrl: 'https://github.com/acme/Web.git',
    fetchToken: undefined,
    config: GlimpseConfig.parse({ env: env ?? {}, kubernetes }),
    ...rest,
  };
}

/** Runs `promise`, expecting a RuntimeFailure, and returns it. */
export async function failureOf(promise: Promise<unknown>): Promise<RuntimeFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RuntimeFailure) return error;
    throw error;
  }
  throw new Error('expected a RuntimeFailure');
}

/** A .tar.gz shaped like GitHub's tarball download: one top-level directory holding `files`. */
export async function repoTarball(files: Record<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'glimpse-tarball-'));
  try {
    const top = 'acme-Web-aaaaaaa';
    for (const [path, text] of Object.entries(files)) {
      const full = join(dir, top, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text);
    }
    const archive = join(dir, 'repo.tar.gz');
    await promisify(execFile)('tar', ['-czf', archive, '-C', dir, top]);
    return await readFile(archive);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function helmPath(): Promise<string> {
  return (await ensureKubeTools()).helm;
}
