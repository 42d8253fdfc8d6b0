import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WEBHOOK_PATH } from '../../../src/http/routes/webhook-route.ts';
import type { GithubSimulator } from '../github-sim/start-github-simulator.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../glimpse-process.ts';
import type { KubeSimulator } from '../kube-sim/start-kube-simulator.ts';

export const REPLICA_WEBHOOK_SECRET = 'chaos-replicas-webhook-secret-0123';

export interface Replica {
  name: string;
  /** The live process, or undefined while it is down. */
  process: GlimpseProcess | undefined;
  webhookUrl: string;
  /** Output of earlier (killed) processes, for a failure report. */
  history: string;
}

/**
 * Replicas of Glimpse as an operator runs them: real `glimpse serve` processes on one PostgreSQL database,
 * with the Kubernetes runtime against the simulator and the GitHub App against the GitHub simulator.
 */
export class ReplicaSet {
  readonly replicas: Replica[] = [];
  readonly #env: Record<string, string>;
  readonly #dirs: string[] = [];

  constructor(options: {
    databaseUrl: string;
    kube: KubeSimulator;
    github: GithubSimulator;
    leaseSeconds: number;
    maxConcurrent: number;
  }) {
    this.#env = {
      DATABASE_URL: options.databaseUrl,
      GLIMPSE_RUNTIME: 'kubernetes',
      KUBECONFIG: options.kube.kubeconfigPath,
      GLIMPSE_BASE_DOMAIN: 'preview.example.test',
      GITHUB_APP_ID: String(options.github.appId),
      GITHUB_PRIVATE_KEY: options.github.privateKey,
      GITHUB_API_URL: options.github.url,
      GITHUB_WEBHOOK_SECRET: REPLICA_WEBHOOK_SECRET,
      GLIMPSE_LEASE_SECONDS: String(options.leaseSeconds),
      GLIMPSE_MAX_CONCURRENT_DEPLOYS: String(options.maxConcurrent),
      LOG_LEVEL: 'warn',
    };
  }

  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const replica: Replica = { name: `replica-${i + 1}`, process: undefined, webhookUrl: '', history: '' };
      this.replicas.push(replica);
    }
    await Promise.all(this.replicas.map((r) => this.restart(r)));
  }

  live(): Replica[] {
    return this.replicas.filter((r) => r.process !== undefined);
  }

  /** Starts the replica's process again (on a new port and data dir) and waits until it listens. */
  async restart(replica: Replica): Promise<void> {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), `glimpse-${replica.name}-`));
    this.#dirs.push(dataDir);
    const child = startGlimpse(['serve'], {
      ...this.#env,
      GLIMPSE_PORT: String(port),
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_PROXY_PORT: '0',
    });
    await child.waitForOutput(/listening\s+http/, 60_000);
    replica.process = child;
    replica.webhookUrl = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  }

  /** SIGKILL: no shutdown, no lease released. Returns the dead process's pid. */
  async kill(replica: Replica): Promise<number> {
    const child = replica.process;
    if (child === undefined) throw new Error(`${replica.name} is not running`);
    replica.process = undefined;
    const pid = child.child.pid ?? 0;
    child.kill('SIGKILL');
    await child.exited(15_000);
    replica.history += child.output();
    return pid;
  }

  /** The last lines each replica printed (warnings and errors), for a failure report. */
  output(lines = 20): string {
    return this.replicas
      .map((r) => {
        const text = (r.history + (r.process?.output() ?? '')).trim().split('\n').slice(-lines).join('\n');
        return `--- ${r.name}\n${text}`;
      })
      .join('\n');
  }

  async close(): Promise<void> {
    for (const replica of this.replicas) {
      const child = replica.process;
      replica.process = undefined;
      if (child === undefined) continue;
      child.kill('SIGTERM');
      await child.exited(15_000).catch(() => child.kill('SIGKILL'));
    }
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}
