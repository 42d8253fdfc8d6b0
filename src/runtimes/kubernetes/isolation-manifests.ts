import { formatCpu, formatMemory, parseQuantity } from '../../domain/quantity.ts';
import type { EnvironmentRef } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import {
  ENVIRONMENT_LABEL,
  labelSafe,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PR_LABEL,
  REPO_ANNOTATION,
  REPO_LABEL,
} from './kube-labels.ts';
import type { KubeManifest } from './kube-manifest.ts';
import type { PreviewResources } from './resolve-resources.ts';

export interface IsolationInput {
  ref: EnvironmentRef;
  resources: PreviewResources;
  quotaMultiplier: number;
  maxPods: number;
  ingressNamespace: string;
  egress: { cidr: string; ports?: number[] | undefined }[];
}

export function environmentLabels(ref: EnvironmentRef): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [ENVIRONMENT_LABEL]: ref.namespace,
    [REPO_LABEL]: labelSafe(ref.repoFullName),
    [PR_LABEL]: String(ref.prNumber),
  };
}

export function namespaceManifest(ref: EnvironmentRef): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ref.namespace,
      labels: { ...environmentLabels(ref), 'pod-security.kubernetes.io/enforce': 'baseline' },
      annotations: { [REPO_ANNOTATION]: ref.repoFullName },
    },
  };
}

/** The one NetworkPolicy of a preview namespace. */
export const NETWORK_POLICY = 'glimpse-isolation';

/**
 * ResourceQuota, LimitRange, NetworkPolicy and the `default` ServiceAccount of a preview namespace. The policy
 * denies everything by default, admits ingress from the ingress controller's namespace and from the namespace
 * itself, and allows egress to the namespace, to cluster DNS and to the CIDRs the repo lists. There is never an
 * allow-all egress rule: a listed CIDR of /0 is refused.
 */
export function isolationManifests(input: IsolationInput): KubeManifest[] {
  const { ref, resources } = input;
  const ns = ref.namespace;
  const labels = environmentLabels(ref);
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const times = (q: string, f: (n: number) => string) => f((parseQuantity(q) ?? 0) * input.quotaMultiplier);
  const quota: KubeManifest = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('glimpse-quota'),
    spec: {
      hard: {
        'limits.cpu': times(resources.limits.cpu, formatCpu),
        'limits.memory': times(resources.limits.memory, formatMemory),
        'requests.cpu': times(resources.requests.cpu, formatCpu),
        'requests.memory': times(resources.requests.memory, formatMemory),
        pods: String(input.maxPods),
        'services.loadbalancers': '0',
        'services.nodeports': '0',
      },
    },
  };
  const limitRange: KubeManifest = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('glimpse-limits'),
    spec: {
      limits: [
        {
          type: 'Container',
          default: { ...resources.limits },
          defaultRequest: { ...resources.requests },
          max: { ...resources.limits },
        },
      ],
    },
  };
  // One policy with the effect of a default deny plus allow rules (policies add up, so one object says it all):
  // pods take ingress only from the ingress controller's namespace and the namespace itself, and reach only DNS
  // in kube-system, the namespace itself and the listed CIDRs. One object instead of three is two requests and
  // two etcd writes fewer per preview.
  const policy: KubeManifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(NETWORK_POLICY),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.ingressNamespace } } },
            { podSelector: {} },
          ],
        },
      ],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        { to: [{ podSelector: {} }] },
        ...listedEgress(input.egress),
      ],
    },
  };
  // The namespace's `default` ServiceAccount, which the controller manager also creates, but only some time after
  // the namespace: until it exists, admission refuses pods that run as it ("serviceaccount default not found"),
  // and with many new namespaces at once that wait shows as a failed rollout.
  const serviceAccount: KubeManifest = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta('default'),
  };
  return [quota, limitRange, policy, serviceAccount];
}

function listedEgress(rules: IsolationInput['egress']): Record<string, unknown>[] {
  const open = rules.find((r) => r.cidr.endsWith('/0'));
  if (open !== undefined) {
    throw new RuntimeFailure(
      `kubernetes.egress: ${open.cidr} would allow all egress; list the networks the preview needs instead`,
      { transient: false },
    );
  }
  return rules.map((r) => ({
    to: [{ ipBlock: { cidr: r.cidr } }],
    ...(r.ports !== undefined && r.ports.length > 0
      ? { ports: r.ports.map((port) => ({ protocol: 'TCP', port })) }
      : {}),
  }));
}
