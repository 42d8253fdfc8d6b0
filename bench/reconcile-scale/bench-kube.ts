import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeControlPlane } from '../../test/support/kube-control-plane/start-kube-control-plane.ts';
import { startKubeSimulator } from '../../test/support/kube-sim/start-kube-simulator.ts';

export type BenchKubeKind = 'sim' | 'real';

/** The Kubernetes a run talks to, with a count of the requests Glimpse sent it. */
export interface BenchKube {
  kind: BenchKubeKind;
  kubeconfigPath: string;
  /** Requests answered since the last `clearRequests`, by verb and resource. */
  requests(): { total: number; byVerb: [string, number][] };
  clearRequests(): void;
  /** Namespaces named pr-* still there. */
  previewNamespacesLeft(): Promise<number>;
  close(): Promise<void>;
}

export async function startBenchKube(kind: BenchKubeKind): Promise<BenchKube> {
  return kind === 'sim' ? startSim() : startReal();
}

async function startSim(): Promise<BenchKube> {
  const sim = await startKubeSimulator({
    kubelet: { startDelayMs: 1_000, retryIntervalMs: 1_000, logIntervalMs: 600_000, terminationDelayMs: 200 },
    // Events of many namespaces stay in one store; a small history keeps the simulator's memory in check.
    watchHistory: 20_000,
    // With ~10,000 objects one controller sync takes tens of ms; spacing them leaves the API time to answer.
    minSyncIntervalMs: 50,
  });
  return {
    kind: 'sim',
    kubeconfigPath: sim.kubeconfigPath,
    requests: () => ({
      total: sim.requests.entries.length,
      byVerb: tally(sim.requests.entries.map((r) => `${r.verb} ${r.resource ?? r.path}`)),
    }),
    clearRequests: () => sim.requests.clear(),
    previewNamespacesLeft: async () =>
      sim.list('', 'namespaces').filter((ns) => ns.metadata.name.startsWith('pr-')).length,
    close: () => sim.close(),
  };
}

/** A real control plane; Glimpse's requests are counted from the API server's audit log of the admin user. */
async function startReal(): Promise<BenchKube> {
  const auditLogPath = path.join(tmpdir(), `glimpse-bench-audit-${process.pid}.log`);
  const plane = await startKubeControlPlane({ auditLogPath });
  const kc = new KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const auditLines = () => readFileSync(auditLogPath, 'utf8').split('\n').filter(Boolean);
  let skip = auditLines().length;
  return {
    kind: 'real',
    kubeconfigPath: plane.kubeconfigPath,
    requests() {
      const lines = auditLines().slice(skip);
      const keys = lines.map((line) => {
        const event = JSON.parse(line) as {
          verb?: string;
          objectRef?: { resource?: string };
          requestURI?: string;
        };
        return `${event.verb ?? '?'} ${event.objectRef?.resource ?? event.requestURI ?? '?'}`;
      });
      return { total: lines.length, byVerb: tally(keys) };
    },
    clearRequests() {
      skip = auditLines().length;
    },
    async previewNamespacesLeft() {
      const list = await core.listNamespace();
      return list.items.filter((ns) => ns.metadata?.name?.startsWith('pr-') === true).length;
    },
    async close() {
      await plane.close();
      rmSync(auditLogPath, { force: true });
    },
  };
}

/** Counts of each key, most frequent first. */
export function tally(keys: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}
