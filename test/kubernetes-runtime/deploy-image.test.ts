import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import type { KubeObject } from '../support/kube-sim/kube-object.ts';
import { type KubeTarget, onRealKube, simOf, startKubeTarget } from '../support/kube-target.ts';
import { waitFor } from '../support/wait-for.ts';
import { FAST_KUBELET, failureOf, fastRuntime, specFor } from './runtime-fixture.ts';

let kube: KubeTarget;
/** The simulator, for the tests that only it can run (faults, the fake kubelet's images, the request log). */
const sim = () => simOf(kube);
const simOnly = it.skipIf(onRealKube);
let runtime: KubernetesRuntime;

beforeAll(async () => {
  // Rare bookmarks, so a watch's resourceVersion lags behind changes elsewhere (the 410 test needs that).
  kube = await startKubeTarget({ kubelet: FAST_KUBELET, bookmarkIntervalMs: 60_000, controllerTickMs: 50 });
  runtime = fastRuntime(kube);
});

afterAll(async () => {
  await runtime.close();
  await kube.close();
  expect(kube.sim?.requests.unmatched() ?? []).toEqual([]);
  expect(kube.sim?.controllerErrors ?? []).toEqual([]);
});

const never = new AbortController().signal;
const sha2 = 'b'.repeat(40);

/** Deletes a failed preview: the simulator records Events for its retries forever, slowing later tests. */
async function cleanUp(pr: number): Promise<void> {
  await runtime.destroy({ namespace: `pr-web-${pr}`, repoFullName: 'acme/Web', prNumber: pr }, never);
}

/** Watches the simulator is serving for a namespace (closed ones leave the set asynchronously). */
function openWatches(namespace: string): number {
  return [...sim().faults.openWatches].filter((r) => r.req.url?.includes(`/namespaces/${namespace}/`)).length;
}

type Json = Record<string, unknown>;
const spec = (o: KubeObject) => o.spec as Json;

interface Peer {
  ipBlock?: { cidr: string };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}
interface EgressRule {
  to?: Peer[];
  ports?: { protocol?: string; port?: number }[];
}

/** Whether a NetworkPolicy lets pods reach anywhere: a rule with no peers, an open CIDR, or every namespace. */
function allowsAllEgress(policy: KubeObject): boolean {
  const rules = (spec(policy).egress ?? []) as EgressRule[];
  return rules.some(
    (r) =>
      r.to === undefined ||
      r.to.length === 0 ||
      r.to.some(
        (p) =>
          p.ipBlock?.cidr.endsWith('/0') === true ||
          (p.namespaceSelector !== undefined &&
            Object.keys(p.namespaceSelector.matchLabels ?? {}).length === 0),
      ),
  );
}

describe('KubernetesRuntime.deploy of an image', () => {
  it('creates an isolated, labelled namespace with quota, limits, policies and the app, and resolves with its URL', async () => {
    const deployed = await runtime.deploy(
      specFor(1, { image: 'ghcr.io/acme/web:{sha}', port: 3000 }, { env: { GREETING: 'hi' } }),
      never,
    );
    expect(deployed.url).toBe('https://pr-web-1.preview.example.test');
    const ns = await kube.get('', 'namespaces', undefined, 'pr-web-1');
    expect(ns?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'glimpse',
      'glimpse.dev/repo': 'acme.Web',
      'glimpse.dev/pr': '1',
    });
    expect(ns?.metadata.annotations?.['glimpse.dev/repo-full-name']).toBe('acme/Web');

    const quota = await kube.get('', 'resourcequotas', 'pr-web-1', 'glimpse-quota');
    expect((spec(quota as KubeObject).hard as Json)['limits.cpu']).toBe('1500m');
    const limits = await kube.get('', 'limitranges', 'pr-web-1', 'glimpse-limits');
    expect((spec(limits as KubeObject).limits as Json[])[0]).toMatchObject({
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '100m', memory: '128Mi' },
    });

    // One policy: it selects every pod for both directions (deny by default) and lists all that is allowed.
    const policies = await kube.list('networking.k8s.io', 'networkpolicies', 'pr-web-1');
    expect(policies.map((p) => p.metadata.name)).toEqual(['glimpse-isolation']);
    const [policy] = policies as [KubeObject];
    expect(spec(policy).podSelector).toEqual({});
    expect(spec(policy).policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec(policy).ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          { podSelector: {} },
        ],
      },
    ]);
    expect(spec(policy).egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ podSelector: {} }] },
    ]);
    expect(allowsAllEgress(policy)).toBe(false);

    const deployment = (await kube.get('apps', 'deployments', 'pr-web-1', 'preview')) as KubeObject;
    expect(deployment.metadata.labels?.['glimpse.dev/environment']).toBe('pr-web-1');
    const podSpec = (spec(deployment).template as Json).spec as { containers: Json[] } & Json;
    // A short grace period: the namespace controller of a closed preview waits about half of it before it looks again.
    expect(podSpec.terminationGracePeriodSeconds).toBe(5);
    const container = podSpec.containers[0];
    expect(container?.image).toBe(`ghcr.io/acme/web:${'a'.repeat(40)}`);
    expect(container?.env).toContainEqual({ name: 'GREETING', value: 'hi' });
    expect(container?.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(await kube.get('', 'services', 'pr-web-1', 'preview')).toBeDefined();
    const ingress = (await kube.get('networking.k8s.io', 'ingresses', 'pr-web-1', 'preview')) as KubeObject;
    expect(spec(ingress).ingressClassName).toBe('nginx');
    expect((spec(ingress).rules as Json[])[0]?.host).toBe('pr-web-1.preview.example.test');

    // Its own `default` ServiceAccount, so pods never wait for the controller manager to create one.
    const serviceAccount = await kube.get('', 'serviceaccounts', 'pr-web-1', 'default');
    for (const applied of [quota, limits, deployment, ingress, serviceAccount, ...policies]) {
      expect(applied?.metadata.managedFields).toContainEqual(
        expect.objectContaining({ manager: 'glimpse', operation: 'Apply' }),
      );
    }
  });

  simOnly('applies quota, limits and policies before the workload', async () => {
    sim().requests.clear();
    await runtime.deploy(specFor(40, { image: 'ghcr.io/acme/web:1' }), never);
    const applies = sim()
      .requests.find({ verb: 'patch', namespace: 'pr-web-40' })
      .map((r) => r.resource)
      .filter((resource) => resource !== 'configmaps');
    const firstWave = ['resourcequotas', 'limitranges', 'networkpolicies', 'serviceaccounts'];
    const lastFirst = Math.max(...firstWave.map((r) => applies.lastIndexOf(r)));
    const firstWorkload = Math.min(
      ...['deployments', 'services', 'ingresses'].map((r) => applies.indexOf(r)),
    );
    expect(applies.slice(0, 4).every((r) => firstWave.includes(r ?? ''))).toBe(true);
    expect(lastFirst).toBeLessThan(firstWorkload);
    await cleanUp(40);
  });

  it('lets egress out only to the CIDRs the repo lists, and refuses an allow-all CIDR', async () => {
    await runtime.deploy(
      specFor(2, { image: 'ghcr.io/acme/web:1', egress: [{ cidr: '10.20.0.0/16', ports: [5432] }] }),
      never,
    );
    const policies = await kube.list('networking.k8s.io', 'networkpolicies', 'pr-web-2');
    const egress = policies.flatMap((p) => (spec(p).egress ?? []) as EgressRule[]);
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(policies.filter(allowsAllEgress)).toEqual([]);

    const open = await failureOf(
      runtime.deploy(specFor(3, { image: 'ghcr.io/acme/web:1', egress: [{ cidr: '0.0.0.0/0' }] }), never),
    );
    expect(open.transient).toBe(false);
    expect(open.message).toContain('0.0.0.0/0');
    expect(await kube.get('', 'namespaces', undefined, 'pr-web-3')).toBeUndefined();
  });

  it('rolls out a new sha on redeploy and scales the old ReplicaSet down', async () => {
    await runtime.deploy(specFor(4, { image: 'ghcr.io/acme/web:{sha}' }), never);
    await runtime.deploy(
      specFor(4, { image: 'ghcr.io/acme/web:{sha}' }, { commitSha: sha2, deploymentId: 'dep-4-2' }),
      never,
    );
    const sets = await kube.list('apps', 'replicasets', 'pr-web-4');
    expect(sets).toHaveLength(2);
    const imageOf = (rs: KubeObject) =>
      (((spec(rs).template as Json).spec as { containers: Json[] }).containers[0]?.image as string) ?? '';
    const current = sets.find((rs) => imageOf(rs).endsWith(sha2));
    const old = sets.find((rs) => imageOf(rs).endsWith('a'.repeat(40)));
    expect(spec(current as KubeObject).replicas).toBe(1);
    expect(spec(old as KubeObject).replicas).toBe(0);
    const pods = (await kube.list('', 'pods', 'pr-web-4')).filter(
      (p) => p.metadata.deletionTimestamp === undefined,
    );
    expect(pods.every((p) => JSON.stringify(p.spec).includes(sha2))).toBe(true);
  });

  it('prunes on redeploy the three network policies an earlier Glimpse applied, once the one policy is there', async () => {
    await runtime.deploy(specFor(42, { image: 'ghcr.io/acme/web:1' }), never);
    // As an earlier Glimpse left the namespace: a default deny and two allow policies, in its record.
    const kc = kubeConfigFor(kube);
    const core = kc.makeApiClient(CoreV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    const namespace = 'pr-web-42';
    const legacy = ['glimpse-default-deny', 'glimpse-allow-ingress', 'glimpse-allow-egress-dns'];
    for (const name of legacy) {
      await networking.createNamespacedNetworkPolicy({
        namespace,
        body: { metadata: { name }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
      });
    }
    const record = await core.readNamespacedConfigMap({ name: 'glimpse-applied', namespace });
    const refs = JSON.parse(record.data?.objects ?? '[]') as { kind: string; name: string }[];
    const earlier = [
      ...refs.filter((r) => r.kind !== 'NetworkPolicy'),
      ...legacy.map((name) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name })),
    ];
    await core.replaceNamespacedConfigMap({
      name: 'glimpse-applied',
      namespace,
      body: { ...record, data: { objects: JSON.stringify(earlier) } },
    });
    expect((await kube.list('networking.k8s.io', 'networkpolicies', namespace)).length).toBe(4);

    await runtime.deploy(specFor(42, { image: 'ghcr.io/acme/web:1' }, { deploymentId: 'dep-42-2' }), never);
    const names = async () =>
      (await kube.list('networking.k8s.io', 'networkpolicies', namespace)).map((p) => p.metadata.name);
    // Deleted in the background: gone from the API at once, but a real API server may list them a moment longer.
    await waitFor(async () => (await names()).length === 1, 30_000, 'the old policies to go');
    expect(await names()).toEqual(['glimpse-isolation']);
    const after = await core.readNamespacedConfigMap({ name: 'glimpse-applied', namespace });
    const recorded = JSON.parse(after.data?.objects ?? '[]') as { kind: string; name: string }[];
    expect(recorded.filter((r) => r.kind === 'NetworkPolicy').map((r) => r.name)).toEqual([
      'glimpse-isolation',
    ]);
    await runtime.destroy({ namespace, repoFullName: 'acme/Web', prNumber: 42 }, never);
  });

  simOnly(
    'reads no record, lists no pods and watches no ReplicaSets in a namespace it created; a redeploy reads and watches',
    async () => {
      sim().requests.clear();
      const first = specFor(41, { image: 'ghcr.io/acme/web:{sha}' });
      await runtime.deploy(first, never);
      const reads = () => ({
        record: sim().requests.count({ verb: 'get', resource: 'configmaps', namespace: 'pr-web-41' }),
        replicaSets: sim().requests.count({ resource: 'replicasets', namespace: 'pr-web-41' }),
        // Pods are watched from the start, without a list first.
        podLists: sim().requests.count({ verb: 'list', resource: 'pods', namespace: 'pr-web-41' }),
      });
      expect(reads()).toEqual({ record: 0, replicaSets: 0, podLists: 0 });
      // The record of applied objects goes with the first wave, before the workload, in one apply.
      const applied = sim()
        .requests.find({ verb: 'patch', namespace: 'pr-web-41' })
        .map((r) => `${r.resource}/${r.path.split('/').at(-1)}`);
      expect(applied.filter((a) => a === 'configmaps/glimpse-applied')).toHaveLength(1);
      expect(applied.indexOf('configmaps/glimpse-applied')).toBeLessThan(
        applied.indexOf('deployments/preview'),
      );
      expect(
        sim().requests.count({ verb: 'watch', resource: 'pods', namespace: 'pr-web-41' }),
      ).toBeGreaterThan(0);
      await runtime.deploy({ ...first, commitSha: sha2, deploymentId: 'dep-41-2' }, never);
      expect(reads().record).toBe(1);
      expect(reads().replicaSets).toBeGreaterThanOrEqual(2);
      await cleanUp(41);
    },
  );

  simOnly('rejects promptly when the deploy is aborted during the rollout, and stops watching', async () => {
    sim().images.set('ghcr.io/acme/slow', { kind: 'unready' });
    const controller = new AbortController();
    const deploying = runtime.deploy(specFor(5, { image: 'ghcr.io/acme/slow:1' }), controller.signal);
    await waitFor(() => sim().get('apps', 'deployments', 'pr-web-5', 'preview'), 5000, 'the deployment');
    await waitFor(
      () => sim().requests.count({ verb: 'watch', namespace: 'pr-web-5' }) >= 2,
      5000,
      'the watches',
    );
    const abortedAt = Date.now();
    controller.abort(new Error('superseded by a newer push'));
    const failure = await failureOf(deploying);
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(failure.message).toContain('cancelled');
    await waitFor(() => openWatches('pr-web-5') === 0, 2000, 'the watches to close');
  });

  simOnly(
    'fails permanently with the reason and the log excerpt when the container crash-loops',
    async () => {
      sim().images.set('ghcr.io/acme/crash', { kind: 'crash', message: 'DATABASE_URL is not set' });
      const failure = await failureOf(runtime.deploy(specFor(6, { image: 'ghcr.io/acme/crash:1' }), never));
      expect(failure).toBeInstanceOf(RuntimeFailure);
      expect(failure.transient).toBe(false);
      expect(failure.message).toContain('CrashLoopBackOff');
      expect(failure.logExcerpt).toContain('fatal: DATABASE_URL is not set');
      await cleanUp(6);
    },
  );

  simOnly('fails permanently when the image cannot be pulled', async () => {
    sim().images.set('ghcr.io/acme/missing', { kind: 'pull-error' });
    const failure = await failureOf(
      runtime.deploy(specFor(7, { image: 'ghcr.io/acme/missing:{sha}' }), never),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(failure.logExcerpt.join('\n')).toContain('ghcr.io/acme/missing');
    await cleanUp(7);
  });

  simOnly('fails permanently at the deploy timeout when the app never becomes ready', async () => {
    sim().images.set('ghcr.io/acme/stuck', { kind: 'unready' });
    const quick = fastRuntime(kube, { deployTimeoutMs: 700 });
    const started = Date.now();
    const failure = await failureOf(quick.deploy(specFor(8, { image: 'ghcr.io/acme/stuck:1' }), never));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('did not finish');
  });

  simOnly('reports a 5xx from the API server during apply as a transient failure', async () => {
    sim().faults.failNext({ verb: 'patch', resource: 'deployments', namespace: 'pr-web-9' }, 1, 500);
    const failure = await failureOf(runtime.deploy(specFor(9, { image: 'ghcr.io/acme/web:1' }), never));
    expect(failure.transient).toBe(true);
    expect(failure.message).toContain('500');
    expect(failure.message).not.toContain(sim().token);
    await expect(runtime.deploy(specFor(9, { image: 'ghcr.io/acme/web:1' }), never)).resolves.toEqual({
      url: 'https://pr-web-9.preview.example.test',
    });
  });

  it('fails permanently when the pods do not fit the namespace quota', async () => {
    const tight = fastRuntime(kube, { quotaMultiplier: 0.5 });
    const failure = await failureOf(tight.deploy(specFor(14, { image: 'ghcr.io/acme/web:1' }), never));
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('exceeded quota');
    if (kube.sim !== undefined) expect(failure.message).not.toContain(kube.sim.token);
    await cleanUp(14);
  });

  it('refuses resources above the cluster maximum permanently, before touching the cluster', async () => {
    const failure = await failureOf(
      runtime.deploy(
        specFor(10, { image: 'ghcr.io/acme/web:1', resources: { limits: { memory: '8Gi' } } }),
        never,
      ),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain(
      'kubernetes.resources.limits.memory 8Gi exceeds the cluster maximum 2Gi',
    );
    expect(await kube.get('', 'namespaces', undefined, 'pr-web-10')).toBeUndefined();
  });

  simOnly('checks the health path through the service proxy before calling the preview running', async () => {
    sim().images.set('ghcr.io/acme/healthy', { kind: 'ok' });
    await runtime.deploy(specFor(11, { image: 'ghcr.io/acme/healthy:1', health: '/healthz' }), never);
    expect(
      sim().requests.count({ path: '/api/v1/namespaces/pr-web-11/services/preview:http/proxy/healthz' }),
    ).toBe(1);

    sim().images.set('ghcr.io/acme/sick', { kind: 'ok', responses: { '/healthz': 500 } });
    const quick = fastRuntime(kube, { deployTimeoutMs: 2000 });
    const failure = await failureOf(
      quick.deploy(specFor(12, { image: 'ghcr.io/acme/sick:1', health: '/healthz' }), never),
    );
    expect(failure.transient).toBe(false);
    expect(failure.message).toContain('HTTP 500');
  });

  simOnly(
    'resumes dropped watches from the last resourceVersion and still sees the rollout finish',
    async () => {
      sim().kubelet.startDelayMs = 1500;
      try {
        const deploying = runtime.deploy(specFor(13, { image: 'ghcr.io/acme/web:1' }), never);
        await waitFor(() => openWatches('pr-web-13') >= 2, 5000, 'the watches');
        expect(sim().faults.dropWatches(true)).toBeGreaterThanOrEqual(2);
        await deploying;
        const resumed = sim()
          .requests.find({ verb: 'watch', resource: 'deployments', namespace: 'pr-web-13' })
          .filter((r) => /resourceVersion=\d+/.test(r.query));
        expect(resumed.length).toBeGreaterThanOrEqual(2);
      } finally {
        sim().kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
      }
    },
  );

  simOnly('lists again when a dropped watch can no longer resume (410 Expired)', async () => {
    sim().kubelet.startDelayMs = 1500;
    try {
      const deploying = runtime.deploy(specFor(15, { image: 'ghcr.io/acme/web:1' }), never);
      await waitFor(() => openWatches('pr-web-15') >= 2, 5000, 'the watches');
      const core = kubeConfigFor(sim()).makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'newer' } } });
      sim().compactHistory();
      sim().faults.dropWatches(true);
      await deploying;
      expect(
        sim().requests.count({ verb: 'list', resource: 'deployments', namespace: 'pr-web-15' }),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      sim().kubelet.startDelayMs = FAST_KUBELET.startDelayMs;
    }
  });
});
