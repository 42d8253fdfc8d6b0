import type { EnvironmentSpec } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import { DEPLOYMENT_ANNOTATION, ENVIRONMENT_LABEL } from './kube-labels.ts';
import type { KubeManifest } from './kube-manifest.ts';
import type { PreviewResources } from './resolve-resources.ts';

export interface ChartValuesInput {
  spec: EnvironmentSpec;
  host: string;
  url: string;
  ingressClass: string;
  resources: PreviewResources;
}

/**
 * The values a chart is rendered with: the repo's `kubernetes.values`, overridden by the per-PR values in the
 * shape `helm create` charts use (`image.tag`, `replicaCount`, `ingress`, `resources`) plus a `glimpse` block.
 */
export function chartValues(input: ChartValuesInput): Record<string, unknown> {
  const { spec } = input;
  const perPr = {
    image: { tag: spec.commitSha },
    replicaCount: 1,
    ingress: {
      enabled: true,
      className: input.ingressClass,
      hosts: [{ host: input.host, paths: [{ path: '/', pathType: 'Prefix' }] }],
    },
    resources: { limits: { ...input.resources.limits }, requests: { ...input.resources.requests } },
    glimpse: {
      namespace: spec.namespace,
      repo: spec.repoFullName,
      prNumber: spec.prNumber,
      branch: spec.branch,
      sha: spec.commitSha,
      host: input.host,
      url: input.url,
      env: { ...spec.config.env },
    },
  };
  return deepMerge(spec.config.kubernetes?.values ?? {}, perPr);
}

/** Kinds a chart may not create: cluster-scoped ones, and ones that would undo the preview's isolation. */
const refusedKinds = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'Node',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
]);

/** Puts every rendered object in the namespace with the environment label; refuses kinds a preview may not own. */
export function admitChartObjects(objects: KubeManifest[], spec: EnvironmentSpec): KubeManifest[] {
  const refused = objects.filter((o) => refusedKinds.has(o.kind));
  if (refused.length > 0) {
    const names = refused.map((o) => `${o.kind} ${o.metadata.name}`).join(', ');
    throw new RuntimeFailure(
      `the chart renders ${names}: previews may not create cluster-wide objects, network policies, quotas or limit ranges`,
      { transient: false },
    );
  }
  return objects.map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      namespace: spec.namespace,
      labels: { ...o.metadata.labels, [ENVIRONMENT_LABEL]: spec.namespace },
      annotations: { ...o.metadata.annotations, [DEPLOYMENT_ANNOTATION]: spec.deploymentId },
    },
  }));
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
