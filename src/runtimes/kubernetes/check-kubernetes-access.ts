import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from './load-kube-config.ts';
import { translateKubeError } from './translate-kube-error.ts';

export interface AccessRequirement {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
}

export interface MissingPermission extends AccessRequirement {
  /** The ClusterRole rule that grants it, as YAML. */
  rule: string;
}

export interface AccessReport {
  ok: boolean;
  checked: number;
  missing: MissingPermission[];
  /** Every missing permission as ClusterRole rules (one per resource), ready to paste. */
  rules: string;
}

const crud = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
const needs: [group: string, resource: string, verbs: string[]][] = [
  ['', 'namespaces', ['get', 'list', 'watch', 'create', 'patch', 'delete']],
  ['', 'resourcequotas', crud],
  ['', 'limitranges', crud],
  ['', 'services', crud],
  ['', 'configmaps', crud],
  ['', 'secrets', crud],
  ['', 'serviceaccounts', crud],
  ['', 'pods', ['get', 'list', 'watch']],
  ['', 'pods/log', ['get']],
  ['', 'services/proxy', ['get']],
  ['apps', 'deployments', crud],
  ['apps', 'statefulsets', crud],
  ['apps', 'replicasets', ['get', 'list', 'watch']],
  ['networking.k8s.io', 'ingresses', crud],
  ['networking.k8s.io', 'networkpolicies', crud],
  ['metrics.k8s.io', 'pods', ['get', 'list']],
];

/** Every verb/resource the Kubernetes runtime uses, cluster-wide (preview namespaces are created on demand). */
export const REQUIRED_ACCESS: AccessRequirement[] = needs.flatMap(([group, resourcePath, verbs]) => {
  const [resource = '', subresource] = resourcePath.split('/');
  return verbs.map((verb) => ({
    verb,
    group,
    resource,
    ...(subresource === undefined ? {} : { subresource }),
  }));
});

/**
 * Asks the API server, with SelfSubjectAccessReviews, whether Glimpse's credentials may do everything it needs;
 * answers what is missing with the RBAC rule to add (for `glimpse doctor`).
 */
export async function checkKubernetesAccess(options: {
  kubeconfig?: string | undefined;
  kubeConfig?: KubeConfig;
}): Promise<AccessReport> {
  const kc = options.kubeConfig ?? loadKubeConfig(options.kubeconfig);
  const api = kc.makeApiClient(AuthorizationV1Api);
  const results = await Promise.all(
    REQUIRED_ACCESS.map(async (need) => {
      try {
        const review = await api.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { ...need } },
          },
        });
        return { need, allowed: review.status?.allowed === true };
      } catch (error) {
        throw translateKubeError(error, 'checking access with a SelfSubjectAccessReview');
      }
    }),
  );
  const missing = results.filter((r) => !r.allowed).map((r) => ({ ...r.need, rule: ruleFor([r.need]) }));
  const byResource = new Map<string, AccessRequirement[]>();
  for (const m of missing) {
    const key = `${m.group}|${resourceName(m)}`;
    byResource.set(key, [...(byResource.get(key) ?? []), m]);
  }
  return {
    ok: missing.length === 0,
    checked: REQUIRED_ACCESS.length,
    missing,
    rules: [...byResource.values()].map(ruleFor).join('\n'),
  };
}

function resourceName(a: AccessRequirement): string {
  return a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`;
}

function ruleFor(needs: AccessRequirement[]): string {
  const first = needs[0];
  if (first === undefined) return '';
  const verbs = needs.map((n) => JSON.stringify(n.verb)).join(', ');
  return [
    `- apiGroups: [${JSON.stringify(first.group)}]`,
    `  resources: [${JSON.stringify(resourceName(first))}]`,
    `  verbs: [${verbs}]`,
  ].join('\n');
}
