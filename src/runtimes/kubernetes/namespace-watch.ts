import type { CoreV1Api, KubeConfig, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import type { KubernetesTiming } from './kubernetes-runtime-options.ts';
import { apiStatusCode } from './translate-kube-error.ts';
import { WatchedList } from './watched-list.ts';

export interface NamespaceWatchOptions {
  kc: KubeConfig;
  core: CoreV1Api;
  timing: KubernetesTiming;
  /** Stops the watch (the runtime is closing). */
  signal: AbortSignal;
  log: Logger | undefined;
  metrics?: GlimpseMetrics | undefined;
}

/**
 * The cluster's namespaces, listed once and kept current by one watch that every deletion under way shares (an
 * informer), so waiting for a namespace to go costs no request of its own instead of a read every few seconds.
 * Started by the first wait; it runs until the runtime closes.
 */
export class NamespaceWatch {
  private readonly options: NamespaceWatchOptions;
  private readonly waiters = new Set<() => void>();
  private readonly list: WatchedList<V1Namespace>;
  private started: Promise<void> | undefined;

  constructor(options: NamespaceWatchOptions) {
    this.options = options;
    const { core, timing } = options;
    this.list = new WatchedList<V1Namespace>({
      kc: options.kc,
      path: '/api/v1/namespaces',
      list: async () => {
        const listed = await core.listNamespace();
        return { resourceVersion: listed.metadata?.resourceVersion, items: listed.items };
      },
      onChange: () => {
        for (const waiter of this.waiters) waiter();
      },
      signal: options.signal,
      pollIntervalMs: timing.pollIntervalMs,
      watchTimeoutSeconds: timing.watchTimeoutSeconds,
      log: options.log,
      metrics: options.metrics,
    });
  }

  /** The namespace as the watch last saw it; undefined when it is not in the list. Rejects when the first list fails. */
  async lastSeen(namespace: string): Promise<V1Namespace | undefined> {
    await this.start();
    return this.list.items.get(namespace);
  }

  /** The phase the namespace was last seen in, if it is there. */
  phaseOf(namespace: string): string | undefined {
    return this.list.items.get(namespace)?.status?.phase;
  }

  /**
   * Resolves once `namespace` is gone: seen in the list, then no longer there (deleted, or absent from a new list).
   * One the list does not show yet is read once: a 404 means it is gone already. Rejects with the error of the
   * first list or of that read, or with the signal's reason when `signal` aborts.
   */
  async waitUntilGone(namespace: string, signal: AbortSignal): Promise<void> {
    await this.start();
    let seen = this.list.items.has(namespace);
    if (!seen) {
      try {
        await this.options.core.readNamespace({ name: namespace });
      } catch (error) {
        if (apiStatusCode(error) === 404) return;
        throw error;
      }
    }
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const finish = (settle: () => void) => {
        this.waiters.delete(check);
        signal.removeEventListener('abort', abort);
        settle();
      };
      const check = () => {
        if (this.list.items.has(namespace)) seen = true;
        else if (seen) finish(resolve);
      };
      const abort = () => finish(() => reject(signal.reason));
      this.waiters.add(check);
      signal.addEventListener('abort', abort, { once: true });
      check();
    });
  }

  private start(): Promise<void> {
    if (this.started === undefined) {
      const started = this.list.start();
      // A first list that failed is tried again by the next wait.
      started.catch(() => {
        if (this.started === started) this.started = undefined;
      });
      this.started = started;
    }
    return this.started;
  }
}
