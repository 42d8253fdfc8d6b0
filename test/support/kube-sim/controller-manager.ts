import type { KubeApi } from './api-core.ts';
import { syncDeployments } from './deployment-controller.ts';
import { syncEndpoints } from './endpoints-controller.ts';
import { collectGarbage } from './garbage-collector.ts';
import { syncNamespaces } from './namespace-controller.ts';
import { syncQuotas } from './quota-controller.ts';
import { syncReplicaSets } from './replicaset-controller.ts';
import { syncStatefulSets } from './statefulset-controller.ts';

/** Runs every controller after each change (coalesced) and on a short tick for time-based conditions. */
export class ControllerManager {
  private readonly api: KubeApi;
  private readonly stuck: Set<string>;
  private readonly onError: (err: unknown) => void;
  private readonly rsFailures = new Map<string, string>();
  private scheduled = false;
  private running = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly tick: NodeJS.Timeout;
  private readonly minSyncIntervalMs: number;
  private lastSync = 0;

  /**
   * `minSyncIntervalMs` spaces syncs out: with thousands of objects a sync takes long enough that running one
   * after every change would leave no time for the API (the scale benchmark sets it; tests keep 0).
   */
  constructor(
    api: KubeApi,
    stuck: Set<string>,
    tickMs: number,
    onError: (err: unknown) => void,
    minSyncIntervalMs = 0,
  ) {
    this.api = api;
    this.minSyncIntervalMs = minSyncIntervalMs;
    this.stuck = stuck;
    this.onError = onError;
    this.unsubscribe = api.store.subscribe(() => this.schedule());
    this.tick = setInterval(() => this.schedule(), tickMs);
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.lastSync = Date.now();
      this.syncAll();
    };
    const wait = this.lastSync + this.minSyncIntervalMs - Date.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  private syncAll(): void {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      for (const step of [
        () => syncNamespaces(this.api.store, this.stuck),
        () => syncDeployments(this.api),
        () => syncReplicaSets(this.api, this.rsFailures),
        () => syncStatefulSets(this.api),
        () => collectGarbage(this.api.store),
        () => syncQuotas(this.api.store),
        () => syncEndpoints(this.api.store),
      ]) {
        try {
          step();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.tick);
  }
}
