import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessRules } from './access-rules.ts';
import { KubeApi } from './api-core.ts';
import { ControllerManager } from './controller-manager.ts';
import type { MetricsControls } from './extra-routes.ts';
import { FakeKubelet, type KubeletTiming } from './fake-kubelet.ts';
import { Faults } from './faults.ts';
import { createHandler } from './http-handler.ts';
import { ImageBehaviors } from './image-behaviors.ts';
import type { KubeObject } from './kube-object.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { LogBook } from './log-book.ts';
import { ObjectStore } from './object-store.ts';
import { RequestLog } from './request-log.ts';
import { mustType } from './resource-types.ts';
import { selfSignedCert } from './tls-cert.ts';

export interface KubeSimulatorOptions {
  /** Port to listen on (0, the default, picks a free one). */
  port?: number;
  host?: string;
  /** Bearer token the kubeconfig carries and every request must present. */
  token?: string;
  /** Directory for the kubeconfig file (a fresh temp directory by default, removed on close). */
  dir?: string;
  kubelet?: Partial<KubeletTiming>;
  /** How many changes a watch can resume across before its resourceVersion is Expired. */
  watchHistory?: number;
  bookmarkIntervalMs?: number;
  controllerTickMs?: number;
  /** Least time between two controller syncs (default 0: after every change). */
  minSyncIntervalMs?: number;
  /** Whether metrics.k8s.io is installed (default true). */
  metrics?: boolean;
  /**
   * Serve https with a self-signed certificate whose CA the kubeconfig carries (default true). kubectl
   * only sends the bearer token over TLS; plain http suits @kubernetes/client-node alone.
   */
  tls?: boolean;
}

export interface KubeSimulator {
  url: string;
  kubeconfigPath: string;
  token: string;
  /** Every request answered; a watch counts once. */
  requests: RequestLog;
  faults: Faults;
  /** Per-image behaviour for the fake kubelet and the service proxy. */
  images: ImageBehaviors;
  /** Deny verbs/resources: 403 on requests, `allowed: false` in SelfSubjectAccessReviews. */
  access: AccessRules;
  /** Fake kubelet timing; changes apply to pods scheduled afterwards. */
  kubelet: KubeletTiming;
  /** Errors thrown inside controllers (a test can assert there were none). */
  controllerErrors: unknown[];
  setMetricsAvailable(available: boolean): void;
  setPodUsage(namespace: string, pod: string, usage: { cpu: string; memory: string }): void;
  appendLog(namespace: string, pod: string, container: string, line: string): void;
  /** Forgets the watch history, so any older resourceVersion is Expired (410). */
  compactHistory(): void;
  get(group: string, plural: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(group: string, plural: string, namespace?: string): KubeObject[];
  close(): Promise<void>;
}

/** Starts a Kubernetes API server simulator over real HTTP (see test/support/kube-sim/README in the report). */
export async function startKubeSimulator(options: KubeSimulatorOptions = {}): Promise<KubeSimulator> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const store = new ObjectStore(options.watchHistory ?? 1000);
  const api = new KubeApi(store);
  const faults = new Faults();
  const requests = new RequestLog();
  const images = new ImageBehaviors();
  const access = new AccessRules();
  const logs = new LogBook();
  const metrics: MetricsControls = { enabled: true, usage: new Map() };
  let metricsInstalled = options.metrics ?? true;
  const timing: KubeletTiming = {
    startDelayMs: 100,
    retryIntervalMs: 300,
    logIntervalMs: 500,
    terminationDelayMs: 100,
    ...options.kubelet,
  };
  const controllerErrors: unknown[] = [];
  const nsType = mustType('', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    api.create(nsType, undefined, { metadata: { name } }, { manager: 'kube-apiserver' });
  }
  const kubelet = new FakeKubelet(store, images, logs, timing);
  const controllers = new ControllerManager(
    api,
    faults.stuckNamespaces,
    options.controllerTickMs ?? 100,
    (err) => controllerErrors.push(err),
    options.minSyncIntervalMs ?? 0,
  );
  let url = '';
  const tls = options.tls === false ? undefined : await selfSignedCert();
  const handler = createHandler({
    api,
    access,
    images,
    logs,
    metrics,
    token,
    faults,
    requests,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    openWatches: faults.openWatches,
    discovery: () => ({ metricsAvailable: metricsInstalled, serverAddress: url.replace(/^https?:\/\//, '') }),
  });
  const server =
    tls === undefined ? createServer(handler) : createTlsServer({ cert: tls.cert, key: tls.key }, handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `${tls === undefined ? 'http' : 'https'}://${address.address}:${address.port}`;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'kube-sim-')));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url, token, tls?.cert);
  return {
    url,
    kubeconfigPath,
    token,
    requests,
    faults,
    images,
    access,
    kubelet: timing,
    controllerErrors,
    setMetricsAvailable(available) {
      metricsInstalled = available;
    },
    setPodUsage(namespace, pod, usage) {
      metrics.usage.set(`${namespace}/${pod}`, usage);
    },
    appendLog(namespace, pod, container, line) {
      logs.append(namespace, pod, container, line);
    },
    compactHistory() {
      store.compact();
    },
    get(group, plural, namespace, name) {
      return store.get(mustType(group, plural), namespace, name);
    },
    list(group, plural, namespace) {
      return store.list(mustType(group, plural), namespace);
    },
    async close() {
      controllers.close();
      kubelet.close();
      faults.dropWatches(true);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
