import type { Logger } from 'pino';
import { DEFAULT_LIMITS, DEFAULT_MAX_RESOURCES } from '../../domain/resource-defaults.ts';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import type { EnvironmentSpec } from '../runtime.ts';

export interface ResourceAmounts {
  cpu: string;
  memory: string;
}

export interface KubernetesTiming {
  /** Poll interval when watches cannot be established, and between health checks. */
  pollIntervalMs: number;
  /** First and largest pause between checks that a deleted namespace is gone. */
  deleteBackoffMinMs: number;
  deleteBackoffMaxMs: number;
  /** Server-side timeout of one watch request; the watch resumes from the last resourceVersion after it. */
  watchTimeoutSeconds: number;
}

export interface KubernetesRuntimeOptions {
  /** Path to a kubeconfig; undefined loads the default (KUBECONFIG, ~/.kube/config, or in-cluster service account). */
  kubeconfig?: string | undefined;
  /** Previews are served at `<namespace>.<baseDomain>`. */
  baseDomain: string;
  /** Scheme of the preview URL (default https). */
  urlScheme?: 'http' | 'https';
  ingressClass?: string;
  /** Namespace of the ingress controller: the only outside source NetworkPolicies admit. */
  ingressNamespace?: string;
  deployTimeoutMs?: number;
  deleteTimeoutMs?: number;
  /** Per-container defaults (limits 500m/512Mi, requests 100m/128Mi); `.glimpse.yml` may change them up to `maxResources`. */
  defaultLimits?: ResourceAmounts;
  defaultRequests?: ResourceAmounts;
  /** Cluster-wide ceiling for what a repo may ask for per container (default 2 CPU, 2Gi). */
  maxResources?: ResourceAmounts;
  /** The namespace quota is the per-container limit times this (default 3: a rolling update plus a helper). */
  quotaMultiplier?: number;
  maxPods?: number;
  /** The helm binary (default `helm` on `searchPath`). */
  helmPath?: string;
  /** Where helm looks for programs: Glimpse's PATH (`Config.local.searchPath`; default /usr/bin:/bin). */
  searchPath?: string;
  /** Returns the repository tarball (.tar.gz) at `spec.commitSha`; needed for `kubernetes.chart`. */
  fetchSource?: (spec: EnvironmentSpec) => Promise<Buffer>;
  logger?: Logger;
  /** Counts requests to the API server and watch restarts. */
  metrics?: GlimpseMetrics | undefined;
  /** Log lines of a failing container put in the failure's excerpt (default 20). */
  logExcerptLines?: number;
  timing?: Partial<KubernetesTiming>;
}

export interface ResolvedKubernetesOptions {
  baseDomain: string;
  urlScheme: 'http' | 'https';
  ingressClass: string;
  ingressNamespace: string;
  deployTimeoutMs: number;
  deleteTimeoutMs: number;
  defaultLimits: ResourceAmounts;
  defaultRequests: ResourceAmounts;
  maxResources: ResourceAmounts;
  quotaMultiplier: number;
  maxPods: number;
  helmPath: string;
  searchPath: string;
  fetchSource: ((spec: EnvironmentSpec) => Promise<Buffer>) | undefined;
  logExcerptLines: number;
  timing: KubernetesTiming;
}

export function resolveKubernetesOptions(options: KubernetesRuntimeOptions): ResolvedKubernetesOptions {
  return {
    baseDomain: options.baseDomain,
    urlScheme: options.urlScheme ?? 'https',
    ingressClass: options.ingressClass ?? 'nginx',
    ingressNamespace: options.ingressNamespace ?? 'ingress-nginx',
    deployTimeoutMs: options.deployTimeoutMs ?? 180_000,
    deleteTimeoutMs: options.deleteTimeoutMs ?? 300_000,
    defaultLimits: options.defaultLimits ?? DEFAULT_LIMITS,
    defaultRequests: options.defaultRequests ?? { cpu: '100m', memory: '128Mi' },
    maxResources: options.maxResources ?? DEFAULT_MAX_RESOURCES,
    quotaMultiplier: options.quotaMultiplier ?? 3,
    maxPods: options.maxPods ?? 10,
    helmPath: options.helmPath ?? 'helm',
    searchPath: options.searchPath ?? '/usr/bin:/bin',
    fetchSource: options.fetchSource,
    logExcerptLines: options.logExcerptLines ?? 20,
    timing: {
      pollIntervalMs: 2_000,
      deleteBackoffMinMs: 250,
      deleteBackoffMaxMs: 5_000,
      watchTimeoutSeconds: 240,
      ...options.timing,
    },
  };
}
