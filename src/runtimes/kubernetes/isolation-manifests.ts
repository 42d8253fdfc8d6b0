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

/**
 * ResourceQuota, LimitRange, NetworkPolicies and the `default` ServiceAccount of a preview namespace. The policies deny everything by default,
 * admit ingress from the ingress controller's namespace and from the namespace itself, and allow egress to the
 * namespace, to cluster DNS and to the CIDRs the repo lists. There is never an allow-all egress rule: a listed
 * CIDR of /0 is refused.
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
  const policy = (name: string, spec: Record<string, unknown>): KubeManifest => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name),
    spec: { podSelector: {}, ...spec },
  });
  const policies = [
    policy('glimpse-default-deny', { policyTypes: ['Ingress', 'Egress'] }),
    policy('glimpse-allow-ingress', {
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.ingressNamespace } } },
            { podSelector: {} },
          ],
        },
      ],
    }),
    policy('glimpse-allow-egress-dns', {
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        { to: [{ podSelector: {} }] },
      ],
    }),
  ];
  if (input.egress.length > 0) policies.push(policy('glimpse-allow-egress-listed', egressSpec(input.egress)));
  // The namespace's `default` ServiceAccount, which the controller manager also creates, but only some time after
  // the namespace: until it exists, admission refuses pods that run as it ("serviceaccount default not found"),
  // and with many new namespaces at once that wait shows as a failed rollout.
  const serviceAccount: KubeManifest = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta('default'),
  };
  return [quota, limitRange, ...policies, serviceAccount];
}

function egressSpec(rules: IsolationInput['egress']): Record<string, unknown> {
  const open = rules.find((r) => r.cidr.endsWith('/0'));
  if (open !== undefined) {
    throw new RuntimeFailure(
      `kubernetes.egress: ${open.cidr} would allow all egress; list the networks the preview needs instead`,
      { transient: false },
    );
  }
  return {
    policyTypes: ['Egress'],
    egress: rules.map((r) => ({
      to: [{ ipBlock: { cidr: r.cidr } }],
      ...(r.ports !== undefined && r.ports.length > 0
        ? { ports: r.ports.map((port) => ({ protocol: 'TCP', port })) }
        : {}),
    })),
  };
}
