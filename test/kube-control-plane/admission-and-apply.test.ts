import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import type { EnvironmentSpec } from '../../src/runtimes/runtime.ts';
import { apiError, kubeConfigFor } from '../kube-sim/client-helpers.ts';
import { chartFiles } from '../kubernetes-runtime/chart-fixture.ts';
import {
  failureOf,
  fastRuntime,
  helmPath,
  repoTarball,
  specFor,
} from '../kubernetes-runtime/runtime-fixture.ts';
import { type KubeTarget, onRealKube, startKubeTarget } from '../support/kube-target.ts';

/** What only the real API server's admission, validation and server-side apply can prove. */
describe.skipIf(!onRealKube)(
  'a real control plane admits and applies previews as the runtime expects',
  () => {
    let kube: KubeTarget;
    let runtime: KubernetesRuntime;
    let core: CoreV1Api;
    let apps: AppsV1Api;
    const never = new AbortController().signal;
    const sources = new Map<string, Buffer>();

    beforeAll(async () => {
      kube = await startKubeTarget();
      const kc = kubeConfigFor(kube);
      core = kc.makeApiClient(CoreV1Api);
      apps = kc.makeApiClient(AppsV1Api);
      runtime = fastRuntime(kube, {
        helmPath: await helmPath(),
        fetchSource: async (spec: EnvironmentSpec) => {
          const tarball = sources.get(spec.namespace);
          if (tarball === undefined) throw new Error(`no source for ${spec.namespace}`);
          return tarball;
        },
      });
    });
    afterAll(async () => {
      await runtime?.close();
      await kube?.close();
    });

    it('accepts the quota, limit range and network policy, and the LimitRange defaults land on pods', async () => {
      await runtime.deploy(specFor(1, { image: 'ghcr.io/acme/web:1' }), never);
      expect(await kube.get('', 'resourcequotas', 'pr-web-1', 'glimpse-quota')).toBeDefined();
      expect(await kube.get('', 'limitranges', 'pr-web-1', 'glimpse-limits')).toBeDefined();
      const policies = await kube.list('networking.k8s.io', 'networkpolicies', 'pr-web-1');
      expect(policies.map((p) => p.metadata.name)).toEqual(['glimpse-isolation']);
      const pods = await core.listNamespacedPod({ namespace: 'pr-web-1' });
      expect(pods.items.map((p) => p.status?.phase)).toEqual(['Running']);
      // A pod that names no resources (as a chart's may) gets the LimitRange's defaults from the API server.
      const bare = await core.createNamespacedPod({
        namespace: 'pr-web-1',
        body: {
          metadata: { name: 'bare' },
          spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/web:1' }] },
        },
      });
      expect(bare.spec?.containers[0]?.resources).toEqual({
        limits: { cpu: '500m', memory: '512Mi' },
        requests: { cpu: '100m', memory: '128Mi' },
      });
      expect(bare.metadata?.annotations?.['kubernetes.io/limit-ranger']).toContain('LimitRanger plugin set');
    });

    it('fails a preview whose pods exceed its quota with the ReplicaSet’s FailedCreate message, not a timeout', async () => {
      const tight = fastRuntime(kube, { quotaMultiplier: 0.5 });
      const started = Date.now();
      const failure = await failureOf(tight.deploy(specFor(2, { image: 'ghcr.io/acme/web:1' }), never));
      await tight.close();
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(failure.transient).toBe(false);
      expect(failure.message).toContain('exceeded quota: glimpse-quota');
      expect(failure.message).not.toContain('did not finish');
      const sets = await apps.listNamespacedReplicaSet({ namespace: 'pr-web-2' });
      const condition = sets.items[0]?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      expect(condition?.reason).toBe('FailedCreate');
    });

    it('refuses a chart asking for a privileged pod with Pod Security’s baseline reason', async () => {
      sources.set(
        'pr-web-3',
        await repoTarball({
          ...chartFiles,
          'deploy/chart/templates/deployment.yaml': chartFiles[
            'deploy/chart/templates/deployment.yaml'
          ].replace(
            '          ports: [{name: http, containerPort: 8080}]',
            '          ports: [{name: http, containerPort: 8080}]\n          securityContext: {privileged: true}',
          ),
        }),
      );
      const namespace = await kube.get('', 'namespaces', undefined, 'pr-web-3');
      expect(namespace).toBeUndefined();
      const failure = await failureOf(runtime.deploy(specFor(3, { chart: 'deploy/chart' }), never));
      expect(failure.transient).toBe(false);
      expect(failure.message).toContain('violates PodSecurity "baseline:latest"');
      expect(failure.message).toContain('privileged');
      const labels = (await kube.get('', 'namespaces', undefined, 'pr-web-3'))?.metadata.labels;
      expect(labels?.['pod-security.kubernetes.io/enforce']).toBe('baseline');
    });

    it('server-side apply: glimpse owns its fields, takes them back by force, and another manager meets a conflict', async () => {
      sources.set('pr-web-4', await repoTarball(chartFiles));
      await runtime.deploy(specFor(4, { chart: 'deploy/chart', values: { extraConfig: true } }), never);
      const apply = (manager: string, force: boolean, replicas: number) =>
        apps.patchNamespacedDeployment(
          {
            name: 'preview-web',
            namespace: 'pr-web-4',
            fieldManager: manager,
            force,
            body: {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: 'preview-web' },
              spec: { replicas },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        );
      const conflict = await apiError(() => apply('someone-else', false, 2));
      expect(conflict.code).toBe(409);
      expect(conflict.status.message).toContain('conflict with "glimpse"');
      expect(conflict.status.message).toContain('.spec.replicas');

      await apply('someone-else', true, 2);
      const taken = await apps.readNamespacedDeployment({ name: 'preview-web', namespace: 'pr-web-4' });
      expect(taken.spec?.replicas).toBe(2);

      await runtime.deploy(
        specFor(4, { chart: 'deploy/chart', values: { extraConfig: false } }, { deploymentId: 'dep-4-2' }),
        never,
      );
      const back = await apps.readNamespacedDeployment({ name: 'preview-web', namespace: 'pr-web-4' });
      expect(back.spec?.replicas).toBe(1);
      const owners = (back.metadata?.managedFields ?? [])
        .filter((f) => (f.fieldsV1 as { 'f:spec'?: { 'f:replicas'?: unknown } })['f:spec']?.['f:replicas'])
        .map((f) => f.manager);
      expect(owners).toEqual(['glimpse']);
      // Pruned: the ConfigMap the first render applied and the second does not.
      expect(await kube.get('', 'configmaps', 'pr-web-4', 'preview-extra')).toBeUndefined();
    });
  },
);
