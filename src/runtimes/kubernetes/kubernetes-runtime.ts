import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GlimpseConfig } from '../../domain/glimpse-config.ts';
import type { LogLine } from '../../domain/log-line.ts';
import type { Deployed, EnvironmentRef, EnvironmentSpec, LogOptions, Observed, Runtime } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import { applyAndPrune, applyObjects } from './apply-objects.ts';
import { admitChartObjects, chartValues } from './chart-objects.ts';
import { checkHealth } from './check-health.ts';
import { destroyNamespace } from './destroy-namespace.ts';
import { findVanishedEnvironments } from './find-vanished-environments.ts';
import { APP_NAME, imageManifests, imageReference } from './image-manifests.ts';
import { inspectEnvironment } from './inspect-environment.ts';
import { environmentLabels, isolationManifests, namespaceManifest } from './isolation-manifests.ts';
import type { KubeManifest } from './kube-manifest.ts';
import {
  type KubernetesRuntimeOptions,
  type ResolvedKubernetesOptions,
  resolveKubernetesOptions,
} from './kubernetes-runtime-options.ts';
import { listManagedEnvironments } from './list-managed-environments.ts';
import { loadKubeConfig } from './load-kube-config.ts';
import { NamespaceWatch } from './namespace-watch.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';
import { renderChart } from './render-chart.ts';
import { resolveResources } from './resolve-resources.ts';
import { ServerSideApplyApi } from './server-side-apply-api.ts';
import { streamLogs } from './stream-logs.ts';
import { translateKubeError } from './translate-kube-error.ts';
import { waitForRollout } from './wait-for-rollout.ts';

export const CHART_RELEASE_NAME = 'preview';

/** Previews as Kubernetes namespaces (GLIMPSE_RUNTIME=kubernetes). */
export class KubernetesRuntime implements Runtime {
  readonly name = 'kubernetes' as const;
  private readonly options: ResolvedKubernetesOptions;
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly objects: ServerSideApplyApi;
  private readonly log: Logger | undefined;
  private readonly metrics: KubernetesRuntimeOptions['metrics'];
  private readonly closing = new AbortController();
  private readonly namespaces: NamespaceWatch;

  /** Throws a permanent RuntimeFailure when the kubeconfig cannot be loaded. */
  constructor(options: KubernetesRuntimeOptions & { kubeConfig?: KubeConfig }) {
    this.options = resolveKubernetesOptions(options);
    this.metrics = options.metrics;
    this.kc = options.kubeConfig ?? loadKubeConfig(options.kubeconfig, options.metrics);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.objects = ServerSideApplyApi.forConfig(this.kc);
    this.log = options.logger?.child({ runtime: 'kubernetes' });
    this.namespaces = new NamespaceWatch({
      kc: this.kc,
      core: this.core,
      timing: this.options.timing,
      signal: this.closing.signal,
      log: this.log,
      metrics: this.metrics,
    });
  }

  /** `kubernetes.waitForChecks` in `.glimpse.yml`. */
  requiredChecks(config: GlimpseConfig): readonly string[] {
    return config.kubernetes?.waitForChecks ?? [];
  }

  async deploy(spec: EnvironmentSpec, signal: AbortSignal): Promise<Deployed> {
    const combined = AbortSignal.any([signal, this.closing.signal]);
    const log = this.log?.child({ environment: spec.namespace, deployment: spec.deploymentId });
    try {
      return await this.deployOnce(spec, combined, log);
    } catch (error) {
      if (combined.aborted) {
        throw new RuntimeFailure(`deploy of ${spec.namespace} was cancelled`, {
          transient: true,
          cause: combined.reason,
        });
      }
      throw translateKubeError(error, `deploy of ${spec.namespace}`);
    }
  }

  private async deployOnce(
    spec: EnvironmentSpec,
    signal: AbortSignal,
    log: Logger | undefined,
  ): Promise<Deployed> {
    const o = this.options;
    const started = Date.now();
    const k = spec.config.kubernetes;
    if (k === undefined) {
      throw new RuntimeFailure(
        '.glimpse.yml has no kubernetes section: set kubernetes.image or kubernetes.chart',
        {
          transient: false,
        },
      );
    }
    const resources = resolveResources(spec.config, o);
    const host = `${spec.namespace}.${o.baseDomain}`;
    const url = `${o.urlScheme}://${host}`;
    const isolation = isolationManifests({
      ref: spec,
      resources,
      quotaMultiplier: o.quotaMultiplier,
      maxPods: o.maxPods,
      ingressNamespace: o.ingressNamespace,
      egress: k.egress,
    });
    let workload: KubeManifest[];
    if (k.chart !== undefined) {
      spec.onPhase?.('building');
      workload = admitChartObjects(
        await renderChart({
          tarball: await this.fetchSource(spec),
          chartPath: k.chart,
          namespace: spec.namespace,
          releaseName: CHART_RELEASE_NAME,
          values: chartValues({ spec, host, url, ingressClass: o.ingressClass, resources }),
          helmPath: o.helmPath,
          searchPath: o.searchPath,
          signal,
        }),
        spec,
      );
    } else {
      workload = imageManifests({
        spec,
        image: imageReference(k.image ?? '', spec),
        port: k.port,
        host,
        ingressClass: o.ingressClass,
        resources,
        healthPath: k.health,
        progressDeadlineSeconds: Math.max(30, Math.ceil(o.deployTimeoutMs / 1000)),
      });
    }
    spec.onPhase?.('deploying');
    log?.info({ objects: workload.length }, 'applying preview');
    const [namespace] = await applyObjects([namespaceManifest(spec)], { objects: this.objects, signal });
    // A namespace this deploy created holds nothing of an earlier deploy: no record of applied objects to read,
    // and no ReplicaSets of older revisions to tell apart from the new ones.
    const createdNamespace = namespace?.created === true;
    await applyAndPrune([...isolation, ...workload], {
      createdNamespace,
      objects: this.objects,
      core: this.core,
      namespace: spec.namespace,
      labels: environmentLabels(spec),
      signal,
      log,
    });
    spec.onApplied?.(countKinds([...isolation, ...workload]));
    const deadline = started + o.deployTimeoutMs;
    await waitForRollout({
      kc: this.kc,
      core: this.core,
      apps: this.apps,
      namespace: spec.namespace,
      timeoutMs: Math.max(0, deadline - Date.now()),
      deployTimeoutMs: o.deployTimeoutMs,
      timing: o.timing,
      logExcerptLines: o.logExcerptLines,
      watchStatefulSets: workload.some((object) => object.kind === 'StatefulSet'),
      watchReplicaSets: !createdNamespace,
      signal,
      log,
      metrics: this.metrics,
    });
    if (k.health !== undefined) {
      await checkHealth({
        kc: this.kc,
        namespace: spec.namespace,
        service: k.chart === undefined ? `${APP_NAME}:http` : healthService(workload),
        path: k.health,
        deadline,
        pollIntervalMs: o.timing.pollIntervalMs,
        signal,
      });
    }
    log?.info({ url, ms: Date.now() - started }, 'preview running');
    return { url };
  }

  private async fetchSource(spec: EnvironmentSpec): Promise<Buffer> {
    const fetchSource = this.options.fetchSource;
    if (fetchSource === undefined) {
      throw new RuntimeFailure(
        'kubernetes.chart needs the repository source, but no source fetcher is configured',
        {
          transient: false,
        },
      );
    }
    try {
      return await fetchSource(spec);
    } catch (error) {
      if (error instanceof RuntimeFailure) throw error;
      throw new RuntimeFailure(`fetching the source of ${spec.repoFullName} at ${spec.commitSha} failed`, {
        transient: true,
        cause: error,
      });
    }
  }

  destroy(ref: EnvironmentRef, signal: AbortSignal): Promise<void> {
    return destroyNamespace({
      core: this.core,
      namespaces: this.namespaces,
      namespace: ref.namespace,
      timeoutMs: this.options.deleteTimeoutMs,
      timing: this.options.timing,
      signal: AbortSignal.any([signal, this.closing.signal]),
      log: this.log?.child({ environment: ref.namespace }),
    });
  }

  logs(ref: EnvironmentRef, options: LogOptions): AsyncIterable<LogLine> {
    return streamLogs({
      kc: this.kc,
      core: this.core,
      namespace: ref.namespace,
      options,
      closing: this.closing.signal,
    });
  }

  inspect(ref: EnvironmentRef): Promise<Observed> {
    return inspectEnvironment(this.kc, { core: this.core, apps: this.apps }, ref.namespace);
  }

  listManaged(): Promise<EnvironmentRef[]> {
    return listManagedEnvironments(this.core);
  }

  findVanished(namespaces: readonly string[]): Promise<Set<string>> {
    return findVanishedEnvironments({ core: this.core, apps: this.apps }, namespaces);
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('runtime closed'));
    if (this.kc instanceof PooledKubeConfig) await this.kc.closeConnections();
  }
}

/** The Service a chart's health path is checked on: the first Ingress backend, else the first Service. */
function healthService(objects: KubeManifest[]): string {
  for (const o of objects.filter((m) => m.kind === 'Ingress')) {
    const rules = (
      o.spec as { rules?: { http?: { paths?: { backend?: { service?: BackendService } }[] } }[] }
    )?.rules;
    const backend = rules?.[0]?.http?.paths?.[0]?.backend?.service;
    if (backend?.name !== undefined) {
      const port = backend.port?.name ?? backend.port?.number;
      return port === undefined ? backend.name : `${backend.name}:${port}`;
    }
  }
  const service = objects.find((m) => m.kind === 'Service');
  if (service === undefined) {
    throw new RuntimeFailure('kubernetes.health is set, but the chart renders no Service to check it on', {
      transient: false,
    });
  }
  const port = (service.spec as { ports?: { name?: string; port?: number }[] } | undefined)?.ports?.[0];
  const which = port?.name ?? port?.port;
  return which === undefined ? service.metadata.name : `${service.metadata.name}:${which}`;
}

interface BackendService {
  name?: string;
  port?: { name?: string; number?: number };
}

/** How many objects of each kind a deploy applied (the namespace aside), for the environment's timeline. */
function countKinds(objects: readonly KubeManifest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const object of objects) counts[object.kind] = (counts[object.kind] ?? 0) + 1;
  return counts;
}
