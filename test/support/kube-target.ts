import { type RequestOptions, request } from 'node:https';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import { startKubeControlPlane } from './kube-control-plane/start-kube-control-plane.ts';
import type { KubeObject } from './kube-sim/kube-object.ts';
import {
  type KubeSimulator,
  type KubeSimulatorOptions,
  startKubeSimulator,
} from './kube-sim/start-kube-simulator.ts';

/** Which Kubernetes the Kubernetes suites run against: `GLIMPSE_TEST_KUBE=sim` (default) or `real`. */
export const KubeTargetKind = z.enum(['sim', 'real']);
export type KubeTargetKind = z.infer<typeof KubeTargetKind>;

export function kubeTargetKind(env: NodeJS.ProcessEnv = process.env): KubeTargetKind {
  const parsed = KubeTargetKind.safeParse(env.GLIMPSE_TEST_KUBE ?? 'sim');
  if (!parsed.success) {
    throw new Error(`GLIMPSE_TEST_KUBE must be sim or real, not ${JSON.stringify(env.GLIMPSE_TEST_KUBE)}`);
  }
  return parsed.data;
}

/** The kind chosen for this test run. */
export const kubeTarget = kubeTargetKind();
export const onRealKube = kubeTarget === 'real';

/**
 * How long to wait for something the cluster does: as given on the simulator; at least two minutes on a real
 * control plane, whose controllers, scheduler and kwok take seconds each on a loaded machine.
 */
export function kubeWaitMs(simulatorMs: number): number {
  return onRealKube ? Math.max(simulatorMs, 120_000) : simulatorMs;
}

/**
 * A Kubernetes API to test against: the simulator or a real control plane, read the same way. `sim` is there
 * only on the simulator, for fault injection and the fake kubelet's knobs.
 */
export interface KubeTarget {
  kind: KubeTargetKind;
  kubeconfigPath: string;
  /** kubeconfig of a ServiceAccount with no role (real control plane only). */
  serviceAccountKubeconfigPath: string | undefined;
  sim: KubeSimulator | undefined;
  get(
    group: string,
    plural: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  list(group: string, plural: string, namespace?: string): Promise<KubeObject[]>;
  /**
   * Keeps `namespace` Terminating once deleted, until released: the simulator's fault, or on a real control plane
   * a ConfigMap in it holding a finalizer nobody removes, which the namespace controller must wait for.
   */
  holdNamespace(namespace: string): Promise<void>;
  releaseNamespace(namespace: string): Promise<void>;
  close(): Promise<void>;
}

const HOLD = { name: 'glimpse-test-hold', finalizer: 'glimpse.dev/test-hold' };

/** Starts the target `GLIMPSE_TEST_KUBE` selects; `simOptions` apply to the simulator only. */
export async function startKubeTarget(simOptions: KubeSimulatorOptions = {}): Promise<KubeTarget> {
  if (kubeTarget === 'sim') {
    const sim = await startKubeSimulator(simOptions);
    return {
      kind: 'sim',
      kubeconfigPath: sim.kubeconfigPath,
      serviceAccountKubeconfigPath: undefined,
      sim,
      get: async (...args) => sim.get(...args),
      list: async (...args) => sim.list(...args),
      holdNamespace: async (namespace) => sim.faults.stickNamespace(namespace),
      releaseNamespace: async (namespace) => sim.faults.releaseNamespace(namespace),
      close: () => sim.close(),
    };
  }
  const plane = await startKubeControlPlane();
  const kc = new KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const read = reader(kc);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    kind: 'real',
    kubeconfigPath: plane.kubeconfigPath,
    serviceAccountKubeconfigPath: plane.serviceAccountKubeconfigPath,
    sim: undefined,
    async get(group, plural, namespace, name) {
      const { status, body } = await read(`${collectionPath(group, plural, namespace)}/${name}`);
      if (status === 404) return undefined;
      return body as KubeObject;
    },
    async list(group, plural, namespace) {
      const { body } = await read(collectionPath(group, plural, namespace));
      return (body as { items: KubeObject[] }).items;
    },
    async holdNamespace(namespace) {
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: HOLD.name, finalizers: [HOLD.finalizer] } },
      });
    },
    async releaseNamespace(namespace) {
      await core.patchNamespacedConfigMap(
        { name: HOLD.name, namespace, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    },
    close: () => plane.close(),
  };
}

/** The simulator behind a target, for a test that only runs there. */
export function simOf(target: KubeTarget): KubeSimulator {
  if (target.sim === undefined) throw new Error('this test needs the Kubernetes simulator');
  return target.sim;
}

/** Every API group the tests read serves its objects at version v1. */
function collectionPath(group: string, plural: string, namespace: string | undefined): string {
  const base = group === '' ? '/api/v1' : `/apis/${group}/v1`;
  return namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${namespace}/${plural}`;
}

function reader(kc: KubeConfig) {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('the kubeconfig has no current cluster');
  return async (path: string): Promise<{ status: number; body: unknown }> => {
    const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await kc.applyToHTTPSOptions(options);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(new URL(path, server), options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    if (status >= 300 && status !== 404) throw new Error(`GET ${path}: ${status} ${text}`);
    return { status, body: JSON.parse(text) };
  };
}
