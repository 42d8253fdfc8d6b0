import type { Config } from '../config/config.ts';
import type { ConfigSource } from '../controller/config-source.ts';
import { InvalidInput } from '../domain/errors.ts';
import { GLIMPSE_CONFIG_FILE } from '../domain/glimpse-config.ts';
import type { Logger } from '../logger.ts';
import type { GlimpseMetrics } from '../metrics/glimpse-metrics.ts';
import type { PreviewFailure } from '../runtimes/local/local-runtime-options.ts';
import { type EnvironmentSpec, type Runtime, RuntimeFailure } from '../runtimes/runtime.ts';

export interface CreatedRuntime {
  runtime: Runtime;
  /** How this runtime reads `.glimpse.yml` when there is no GitHub App. */
  configSource: ConfigSource | undefined;
  /** One line for the banner: where previews are reachable. */
  description: string;
  /** What the banner must warn about (previews that run without a sandbox). */
  warnings: string[];
}

/**
 * The runtime GLIMPSE_RUNTIME names, configured from the same validated config. Only the chosen runtime's
 * modules are imported: the Kubernetes client alone holds ~24 MB of heap.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  hooks: {
    onPreviewFailed: (failure: PreviewFailure) => void;
    /** The repo's tarball at a commit, for Helm charts kept in the repo; undefined without a GitHub App. */
    downloadSource: ((repoFullName: string, commitSha: string) => Promise<Buffer>) | undefined;
    metrics?: GlimpseMetrics | undefined;
  },
): Promise<CreatedRuntime> {
  if (config.runtime === 'kubernetes') {
    const k = config.kubernetes;
    const downloadSource = hooks.downloadSource;
    const { KubernetesRuntime } = await import('../runtimes/kubernetes/kubernetes-runtime.ts');
    const runtime = kubernetesSetting(
      () =>
        new KubernetesRuntime({
          kubeconfig: k.kubeconfig,
          baseDomain: config.baseDomain,
          urlScheme: config.previewUrlScheme ?? 'https',
          ingressClass: k.ingressClass,
          ingressNamespace: k.ingressNamespace,
          deployTimeoutMs: k.deployTimeoutMs,
          deleteTimeoutMs: k.deleteTimeoutMs,
          helmPath: k.helmPath,
          searchPath: config.local.searchPath,
          maxResources: k.maxResources,
          ...(downloadSource === undefined
            ? {}
            : { fetchSource: (spec: EnvironmentSpec) => downloadSource(spec.repoFullName, spec.commitSha) }),
          logger: logger.child({ component: 'kubernetes-runtime' }),
          metrics: hooks.metrics,
        }),
    );
    return {
      runtime,
      configSource: undefined,
      description: `Kubernetes namespaces, served at ${config.previewUrlScheme ?? 'https'}://pr-<repo>-<number>.${config.baseDomain}`,
      warnings: [],
    };
  }
  const { createLocalRuntime } = await import('../runtimes/local/local-runtime.ts');
  const { detectSandbox, describeSandbox } = await import('../runtimes/local/choose-sandbox.ts');
  const { detectLimits } = await import('../runtimes/local/limit-enforcement.ts');
  const sandbox = detectSandbox(config.local);
  const limits = detectLimits(config.local);
  const local = await createLocalRuntime({
    sandbox,
    limits,
    childPath: config.local.searchPath,
    dataDir: config.dataDir,
    spareDirs: config.local.spareDirs,
    publicUrl: config.publicUrl,
    proxyHost: config.host,
    proxyPort: config.local.proxyPort,
    previewUrlScheme: config.previewUrlScheme ?? 'http',
    baseDomain: config.baseDomain,
    buildTimeoutMs: config.local.buildTimeoutMs,
    allowFileRepos: config.local.allowFileRepos,
    logger: logger.child({ component: 'local-runtime' }),
    onPreviewFailed: hooks.onPreviewFailed,
    metrics: hooks.metrics,
  });
  return {
    runtime: local,
    configSource: {
      read: (item, ref) =>
        local.readRepoFile({
          repoFullName: item.repo.fullName,
          cloneUrl: item.repo.cloneUrl ?? '',
          token: undefined,
          prNumber: item.env.prNumber,
          ref,
          path: GLIMPSE_CONFIG_FILE,
        }),
    },
    description: `local processes, served at ${local.urlOf('pr-<repo>-<number>')} (worktrees in ${local.workDir}); sandbox: ${describeSandbox(sandbox)}`,
    warnings: [
      ...(local.refusesForks === undefined ? [] : [local.refusesForks]),
      ...(limits.prlimit === undefined
        ? [
            'Previews run without memory and process limits: prlimit is not installed (apt-get install util-linux).',
          ]
        : []),
    ],
  };
}

/** A kubeconfig that cannot be used (missing, no cluster, plain http) is a setting to fix, not a crash. */
function kubernetesSetting<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof RuntimeFailure && !error.transient)
      throw new InvalidInput(`GLIMPSE_RUNTIME=kubernetes cannot start: ${error.message}.`);
    throw error;
  }
}
