import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../kube-sim/kubeconfig.ts';
import { selfSignedCert } from '../kube-sim/tls-cert.ts';
import { buildStampPath, type KubeBinaries, kubeBinaries, kubeBuildDir } from './kube-binaries.ts';

export interface KubeControlPlaneOptions {
  /** The API server's port (0, the default, picks a free one). */
  port?: number;
  /** Directory for the kubeconfigs, certificates, etcd's data and the logs (a temp directory by default). */
  dir?: string;
  binaries?: KubeBinaries;
  /** How long to wait for every part to be ready (default 180 s: a loaded machine starts them slowly). */
  startTimeoutMs?: number;
  /**
   * Write an audit log of the admin user's requests here, one JSON line per request once answered (the
   * controller manager, scheduler and kwok use their own user, so the log holds what tests and Glimpse sent).
   */
  auditLogPath?: string;
  /**
   * Serve watches from etcd rather than the API server's watch cache (default true: the cache), so compacting
   * etcd makes an older resourceVersion 410 Gone at once, as a long-running cluster eventually does.
   */
  watchCache?: boolean;
}

export interface KubeControlPlane {
  url: string;
  /** etcd's client URL (plain http on loopback), for a test that compacts its history. */
  etcdUrl: string;
  /** kubeconfig of the admin user (group system:masters). */
  kubeconfigPath: string;
  adminToken: string;
  /** kubeconfig of the ServiceAccount `glimpse-system/glimpse`, which holds no role until a test binds one. */
  serviceAccountKubeconfigPath: string;
  serviceAccount: { namespace: string; name: string };
  /** Name of the kwok node every pod is scheduled to. */
  nodeName: string;
  /** Directory of each part's log (`<part>.log`). */
  logDir: string;
  close(): Promise<void>;
}

const serviceAccount = { namespace: 'glimpse-system', name: 'glimpse' };

/** Audit the admin user's requests once each, when answered; nothing else. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  users: [admin]
- level: None
`;
const nodeName = 'kwok-node-0';

/**
 * Starts a real control plane on loopback, as envtest does plus a scheduler and kwok's fake node: etcd,
 * kube-apiserver (TLS, static tokens, RBAC, the default admission plugins), kube-controller-manager,
 * kube-scheduler and kwok, from the binaries `npm run kube:build` made. Resolves once a pod can become Ready.
 */
export async function startKubeControlPlane(
  options: KubeControlPlaneOptions = {},
): Promise<KubeControlPlane> {
  const binaries = options.binaries ?? kubeBinaries();
  if (options.binaries === undefined && !existsSync(buildStampPath(kubeBuildDir()))) {
    throw new Error('the Kubernetes control plane is not built: run `npm run kube:build` first');
  }
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'glimpse-kube-')));
  const logDir = join(dir, 'logs');
  await mkdir(logDir, { recursive: true });
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  const processes: Part[] = [];
  const close = async (): Promise<void> => {
    for (const part of processes.reverse()) await stop(part.child);
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    const tls = await selfSignedCert();
    const files = {
      cert: join(dir, 'serving.crt'),
      key: join(dir, 'serving.key'),
      saKey: join(dir, 'service-account.key'),
      saPub: join(dir, 'service-account.pub'),
      tokens: join(dir, 'tokens.csv'),
      auditPolicy: join(dir, 'audit-policy.yaml'),
      kubeconfig: join(dir, 'kubeconfig.yaml'),
      componentKubeconfig: join(dir, 'kubeconfig-components.yaml'),
      saKubeconfig: join(dir, 'kubeconfig-service-account.yaml'),
    };
    const saPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const adminToken = randomBytes(24).toString('hex');
    const componentToken = randomBytes(24).toString('hex');
    await writeFile(files.cert, tls.cert);
    await writeFile(files.key, tls.key, { mode: 0o600 });
    await writeFile(files.saKey, saPair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(files.saPub, saPair.publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(
      files.tokens,
      `${adminToken},admin,admin,system:masters\n${componentToken},control-plane,control-plane,system:masters\n`,
      { mode: 0o600 },
    );
    await writeFile(files.auditPolicy, AUDIT_POLICY);

    const [apiPort, etcdPort, peerPort] = await freePorts(options.port ?? 0, 0, 0);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const url = `https://127.0.0.1:${apiPort}`;
    const launch = (name: string, command: string, args: string[]): void => {
      processes.push(startPart(name, command, args, logDir));
    };

    launch('etcd', binaries.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitUntil(deadline, 'etcd', processes, () => httpOk(`${etcdUrl}/health`));

    launch('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The endpoint reconciler refuses a loopback address; nothing in this cluster needs the kubernetes Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${files.cert}`,
      `--tls-private-key-file=${files.key}`,
      `--token-auth-file=${files.tokens}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // Privileged containers pass the API server's own check, so Pod Security admission is what refuses them.
      '--allow-privileged=true',
      '--profiling=false',
      ...(options.watchCache === false ? ['--watch-cache=false'] : []),
      ...(options.auditLogPath === undefined
        ? []
        : [
            `--audit-policy-file=${files.auditPolicy}`,
            `--audit-log-path=${options.auditLogPath}`,
            '--audit-log-mode=blocking',
          ]),
      '--v=0',
    ]);
    const ca = new Agent({ ca: tls.cert });
    await waitUntil(deadline, 'kube-apiserver', processes, () =>
      httpOk(`${url}/readyz`, { agent: ca, token: adminToken }),
    );
    await writeKubeconfig(files.kubeconfig, url, adminToken, tls.cert);
    await writeKubeconfig(files.componentKubeconfig, url, componentToken, tls.cert);

    launch('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${files.componentKubeconfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.cert}`,
      '--controllers=*',
      // Sized for a thousand previews coming and going at once, as an operator of such a cluster would: the
      // defaults (20 requests a second shared by every controller, 5 deployments, 5 replica sets, 10
      // namespaces and 20 garbage collections at a time) take minutes to create that many pods and to empty
      // that many namespaces. On a 2-core machine the CPU bounds both long before these do (decision 0030).
      '--kube-api-qps=1000',
      '--kube-api-burst=2000',
      '--concurrent-deployment-syncs=50',
      '--concurrent-replicaset-syncs=50',
      '--concurrent-resource-quota-syncs=25',
      '--concurrent-service-endpoint-syncs=25',
      '--concurrent-namespace-syncs=100',
      '--concurrent-gc-syncs=50',
      '--v=0',
    ]);
    launch('kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${files.componentKubeconfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      // Binding a thousand pods at the default 50 requests a second takes 20 s on its own.
      '--kube-api-qps=1000',
      '--kube-api-burst=2000',
      '--v=0',
    ]);
    launch('kwok', binaries.kwok, [
      `--kubeconfig=${files.componentKubeconfig}`,
      ...binaries.kwokStages.map((stage) => `--config=${stage}`),
      '--manage-all-nodes=true',
      // kwok renews the node's Lease, the heartbeat the node lifecycle controller watches: it takes the new
      // node's not-ready taint off and keeps it Ready.
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
    ]);

    const api = apiClient(url, adminToken, ca);
    await api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, type: 'kwok' } },
    });
    await waitUntil(deadline, 'the kwok node to be Ready', processes, async () => {
      const node = (await api('GET', `/api/v1/nodes/${nodeName}`)) as NodeStatus;
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    });
    await waitUntil(deadline, 'the default ServiceAccount', processes, async () => {
      return (
        (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default', undefined, [404])) !== null
      );
    });

    await api('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: serviceAccount.namespace },
    });
    await api('POST', `/api/v1/namespaces/${serviceAccount.namespace}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: serviceAccount.name },
    });
    const tokenRequest = (await api(
      'POST',
      `/api/v1/namespaces/${serviceAccount.namespace}/serviceaccounts/${serviceAccount.name}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
    )) as { status: { token: string } };
    await writeKubeconfig(files.saKubeconfig, url, tokenRequest.status.token, tls.cert);
    ca.destroy();

    return {
      url,
      etcdUrl,
      kubeconfigPath: files.kubeconfig,
      adminToken,
      serviceAccountKubeconfigPath: files.saKubeconfig,
      serviceAccount,
      nodeName,
      logDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface NodeStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** One process of the control plane, its output in `<logDir>/<name>.log`. */
interface Part {
  name: string;
  child: ChildProcess;
  logPath: string;
}

function startPart(name: string, command: string, args: string[], logDir: string): Part {
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on('error', (error) => log.write(`spawn failed: ${error.message}\n`));
  return { name, child, logPath };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitUntil(
  deadline: number,
  what: string,
  processes: Part[],
  ready: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const dead = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead !== undefined) {
      const tail = (await readFile(dead.logPath, 'utf8').catch(() => '')).split('\n').slice(-6).join('\n');
      throw new Error(
        `${dead.name} exited (${dead.child.signalCode ?? dead.child.exitCode}) while waiting for ${what}:\n${tail}`,
      );
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function httpOk(url: string, options: { agent?: Agent; token?: string } = {}): Promise<boolean> {
  const { status } = await send(url, 'GET', options);
  return status === 200;
}

/** A tiny admin client for setting the cluster up (the tests use @kubernetes/client-node or kubectl). */
function apiClient(base: string, token: string, agent: Agent) {
  return async (method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<unknown> => {
    const { status, text } = await send(`${base}${path}`, method, { agent, token, body });
    if (tolerated.includes(status)) return null;
    if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
    return JSON.parse(text);
  };
}

function send(
  url: string,
  method: string,
  options: { agent?: Agent; token?: string; body?: unknown },
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const doRequest = target.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = doRequest(
      target,
      { method, headers, ...(options.agent === undefined ? {} : { agent: options.agent }), timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

/** Ports that were free a moment ago; a non-zero wish is taken as is. */
async function freePorts(...wishes: number[]): Promise<number[]> {
  const ports: number[] = [];
  for (const wish of wishes) {
    if (wish !== 0) {
      ports.push(wish);
      continue;
    }
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    ports.push(typeof address === 'object' && address !== null ? address.port : 0);
    await new Promise((resolve) => server.close(resolve));
  }
  return ports;
}
