import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REQUIRED_ACCESS } from '../../src/runtimes/kubernetes/check-kubernetes-access.ts';
import { type KubeTarget, kubeWaitMs, onRealKube, startKubeTarget } from '../support/kube-target.ts';
import { ensureKubeTools, type KubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';
import { clusterRoleRules, objectOf, type Release, renderChart, VALUES_FILES } from './glimpse-chart.ts';

// The chart's objects sent to a Kubernetes API server: the simulator (`npm test`) or a real control plane
// (GLIMPSE_TEST_KUBE=real, in .ci/run). The simulator serves no RBAC, policy or PersistentVolumeClaim kinds, so
// there the objects of kinds its discovery does not list are left out; the real control plane takes every object,
// runs the pods on kwok's node, and answers `kubectl auth can-i` for the ServiceAccount the chart binds.
let target: KubeTarget;
let tools: KubeTools;

const kubectl = (args: string[], stdin?: string) =>
  runTool(tools.kubectl, args, {
    kubeconfig: target.kubeconfigPath,
    timeoutMs: kubeWaitMs(60_000),
    ...(stdin ? { stdin } : {}),
  });

/**
 * `apiVersion kind` of every resource the API server serves, and the API groups they are in ('' for the core
 * group), from its discovery (kubectl api-resources).
 */
async function servedApis(): Promise<{ kinds: Set<string>; groups: Set<string> }> {
  const result = await kubectl(['api-resources', '--no-headers']);
  expect(result.code, result.stderr).toBe(0);
  const kinds = new Set<string>();
  const groups = new Set<string>();
  for (const line of result.stdout.trim().split('\n')) {
    const words = line.trim().split(/\s+/);
    const kind = words.at(-1);
    const apiVersion = words.at(-3);
    if (kind === undefined || apiVersion === undefined) continue;
    kinds.add(`${apiVersion} ${kind}`);
    groups.add(apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
  }
  return { kinds, groups };
}

/** One `kubectl auth can-i` question: a verb on a resource (`pods/log` for a subresource) of an API group. */
interface Permission {
  verb: string;
  group: string;
  resource: string;
}

/**
 * Every verb on every resource the chart's ClusterRole (README's "Cluster access") grants, and every one the
 * Kubernetes runtime uses (what `glimpse doctor` checks), once each.
 */
function neededPermissions(): Permission[] {
  const granted = clusterRoleRules().flatMap((rule) =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ verb, group, resource }))),
    ),
  );
  const used = REQUIRED_ACCESS.map(({ verb, group, resource, subresource }) => ({
    verb,
    group,
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
  }));
  const byKey = new Map([...granted, ...used].map((p) => [`${p.verb} ${p.group} ${p.resource}`, p]));
  return [...byKey.values()];
}

/** What Glimpse must never be able to do with its ServiceAccount. */
const FORBIDDEN: Permission[] = [
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
  { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  { verb: 'impersonate', group: '', resource: 'serviceaccounts' },
  { verb: 'create', group: '', resource: 'pods' },
  { verb: 'create', group: '', resource: 'pods/exec' },
  { verb: 'get', group: '', resource: 'nodes' },
  { verb: 'delete', group: '', resource: 'persistentvolumes' },
  { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
  { verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
];

/**
 * Whether the ServiceAccount may do `permission` in every namespace: `kubectl auth can-i --as`. For an API group
 * the server does not serve (metrics.k8s.io without a metrics server) kubectl cannot map the resource and asks
 * about a resource named `pods.metrics.k8s.io` in the core group, so there the same SelfSubjectAccessReview
 * that can-i sends is created with kubectl directly.
 */
async function canI(
  serviceAccount: string,
  permission: Permission,
  servedGroups: Set<string>,
): Promise<boolean> {
  const [resource = '', subresource] = permission.resource.split('/');
  if (!servedGroups.has(permission.group)) {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: permission.verb, group: permission.group, resource, subresource } },
    };
    const result = await kubectl(
      ['create', '--validate=false', '-f', '-', `--as=${serviceAccount}`, '-o', 'jsonpath={.status.allowed}'],
      JSON.stringify(review),
    );
    if (result.code !== 0) throw new Error(`SelfSubjectAccessReview: ${result.stderr}`);
    return result.stdout.trim() === 'true';
  }
  const result = await kubectl([
    'auth',
    'can-i',
    permission.verb,
    permission.group === '' ? resource : `${resource}.${permission.group}`,
    ...(subresource === undefined ? [] : [`--subresource=${subresource}`]),
    '--all-namespaces',
    `--as=${serviceAccount}`,
  ]);
  const answer = result.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i: ${result.stderr}`);
  return answer === 'yes';
}

/** Asks `ask` of every item, a few at a time (each question is a kubectl process). */
async function everyOf<T, R>(items: T[], ask: (item: T) => Promise<R>): Promise<R[]> {
  const answers: R[] = [];
  for (let i = 0; i < items.length; i += 4)
    answers.push(...(await Promise.all(items.slice(i, i + 4).map(ask))));
  return answers;
}

const ServiceAccountName = z.object({
  spec: z.object({ template: z.object({ spec: z.object({ serviceAccountName: z.string() }) }) }),
});
const ClaimSize = z.object({
  spec: z.object({ resources: z.object({ requests: z.object({ storage: z.string() }) }) }),
});

beforeAll(async () => {
  tools = await ensureKubeTools();
  target = await startKubeTarget({ kubelet: { startDelayMs: 50, terminationDelayMs: 50 } });
});

afterAll(async () => {
  await target?.close();
});

describe.each([
  ['minimal', VALUES_FILES.minimal, true],
  ['postgres', VALUES_FILES.postgres, true],
  ['existing-secret', VALUES_FILES.existingSecret, false],
  ['ingress-tls', VALUES_FILES.ingressTls, false],
])('the chart rendered with the %s values, applied to the API server', (name, valuesFile, installed) => {
  // Each release in its own namespace and under its own name, so the cluster-wide ClusterRoles and bindings of
  // the two installs stay apart.
  const release: Release = { name: `glimpse-${name}`, namespace: `glimpse-${name}` };
  /** The rendered objects the API server serves, as YAML. */
  let manifests: string;
  let kinds: string[];
  let renderedKinds: string[];
  let serviceAccount: string;
  let servedGroups: Set<string>;

  beforeAll(async () => {
    const served = await servedApis();
    servedGroups = served.groups;
    const rendered = await renderChart(valuesFile, [], release);
    expect(rendered.code, rendered.stderr).toBe(0);
    const kept = rendered.objects.flatMap((o, i) =>
      served.kinds.has(`${o.apiVersion} ${o.kind}`) ? [i] : [],
    );
    kinds = kept.map((i) => rendered.objects[i]?.kind ?? '');
    renderedKinds = rendered.objects.map((o) => o.kind);
    manifests = kept.map((i) => `---\n${rendered.sources[i] ?? ''}`).join('');
    const deployment = ServiceAccountName.parse(objectOf(rendered, 'Deployment'));
    serviceAccount = `system:serviceaccount:${release.namespace}:${deployment.spec.template.spec.serviceAccountName}`;
    const created = await kubectl(['create', 'namespace', release.namespace]);
    expect(created.code, created.stderr).toBe(0);
    const claim = rendered.objects.find((o) => o.kind === 'PersistentVolumeClaim');
    if (onRealKube && installed && claim !== undefined) {
      // No provisioner runs here: a volume set aside for the claim, as an administrator would provide.
      const volume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: release.name },
        spec: {
          capacity: { storage: ClaimSize.parse(claim).spec.resources.requests.storage },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: `/var/lib/${release.name}` },
          claimRef: { namespace: release.namespace, name: claim.metadata.name },
        },
      };
      const pv = await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(volume));
      expect(pv.code, pv.stderr).toBe(0);
    }
  });

  it('passes a server-side dry run, which stores nothing', async () => {
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceAccount']));
    if (onRealKube) {
      // Every object goes in: the RBAC, policy and volume kinds too.
      expect(kinds).toEqual(renderedKinds);
      expect(kinds).toEqual(
        expect.arrayContaining(['ClusterRole', 'ClusterRoleBinding', 'PodDisruptionBudget']),
      );
    }
    const result = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '--namespace', release.namespace, '-f', '-'],
      manifests,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps/${release.name} serverside-applied (server dry run)`);
    expect(await target.get('apps', 'deployments', release.namespace, release.name)).toBeUndefined();
    if (onRealKube) {
      expect(result.stdout).toContain(
        `clusterrole.rbac.authorization.k8s.io/${release.name} serverside-applied (server dry run)`,
      );
      expect(
        await target.get('rbac.authorization.k8s.io', 'clusterroles', undefined, release.name),
      ).toBeUndefined();
    }
  });

  it.runIf(installed)(
    'installs: the Deployment rolls out with its ServiceAccount and Service',
    async () => {
      const result = await kubectl(
        ['apply', '--server-side', '--namespace', release.namespace, '-f', '-'],
        manifests,
      );
      expect(result.code, result.stderr).toBe(0);
      const rollout = await kubectl([
        'rollout',
        'status',
        '--namespace',
        release.namespace,
        `deployment/${release.name}`,
        `--timeout=${kubeWaitMs(60_000) / 1000}s`,
      ]);
      expect(rollout.code, rollout.stderr).toBe(0);
      expect(rollout.stdout).toContain('successfully rolled out');
      const deployment = await target.get('apps', 'deployments', release.namespace, release.name);
      expect(deployment?.spec).toMatchObject({ template: { spec: { serviceAccountName: release.name } } });
      expect(deployment?.status).toMatchObject({ availableReplicas: name === 'postgres' ? 3 : 1 });
      expect(await target.get('', 'services', release.namespace, release.name)).toBeDefined();
      expect(await target.get('', 'serviceaccounts', release.namespace, release.name)).toBeDefined();
      expect(await target.get('', 'secrets', release.namespace, release.name)).toBeDefined();
      if (onRealKube) {
        const pods = await target.list('', 'pods', release.namespace);
        expect(pods.map((pod) => pod.status)).toEqual(
          pods.map(() => expect.objectContaining({ phase: 'Running' })),
        );
      }
    },
    kubeWaitMs(60_000) + 30_000,
  );

  it.runIf(installed && onRealKube)(
    "its ServiceAccount may do everything README's Cluster access lists, in every namespace, and none of ten things it must not",
    async () => {
      const needed = neededPermissions();
      expect(needed.length).toBeGreaterThan(60);
      const granted = await everyOf(needed, async (p) => ({
        ...p,
        allowed: await canI(serviceAccount, p, servedGroups),
      }));
      expect(granted.filter((p) => !p.allowed)).toEqual([]);
      const refused = await everyOf(FORBIDDEN, async (p) => ({
        ...p,
        allowed: await canI(serviceAccount, p, servedGroups),
      }));
      expect(refused.filter((p) => p.allowed)).toEqual([]);
    },
    300_000,
  );
});
