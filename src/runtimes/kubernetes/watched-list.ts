import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import { abortableSleep } from './abortable-sleep.ts';
import { kubeRequestLabels } from './kube-request-labels.ts';

export interface ListedObject {
  metadata?: { name?: string; resourceVersion?: string };
}

export interface WatchedListOptions<T extends ListedObject> {
  kc: KubeConfig;
  /** The collection's API path, e.g. `/apis/apps/v1/namespaces/pr-web-1/deployments`. */
  path: string;
  list: () => Promise<{ resourceVersion: string | undefined; items: T[] }>;
  /**
   * False: no list to start with. The first watch, sent without a resourceVersion, begins with the objects there
   * are (as ADDED events), one request instead of two; `start` then resolves before they arrive, so this suits a
   * list whose completeness nothing waits for. `list` still serves when a watch expires or cannot be made.
   */
  listFirst?: boolean;
  onChange: () => void;
  signal: AbortSignal;
  pollIntervalMs: number;
  watchTimeoutSeconds: number;
  log?: Logger | undefined;
  /** Counts the watch requests and the restarts of the watch. */
  metrics?: GlimpseMetrics | undefined;
}

type WatchOutcome = 'dropped' | 'expired' | 'failed';

/**
 * A list kept current with the watch API: list once, then watch from the list's resourceVersion. A dropped watch
 * resumes from the last resourceVersion seen (events or bookmarks); an expired one (410) lists again. When watches
 * cannot be established, it falls back to listing every `pollIntervalMs`.
 */
export class WatchedList<T extends ListedObject> {
  readonly items = new Map<string, T>();
  private resourceVersion: string | undefined;
  private readonly options: WatchedListOptions<T>;

  constructor(options: WatchedListOptions<T>) {
    this.options = options;
  }

  values(): T[] {
    return [...this.items.values()];
  }

  /** Lists (rejecting if that fails, unless `listFirst` is false), then keeps watching until the signal aborts. */
  async start(): Promise<void> {
    if (this.options.listFirst !== false) await this.relist();
    void this.loop();
  }

  private async relist(): Promise<void> {
    const listed = await this.options.list();
    this.items.clear();
    for (const item of listed.items) {
      const name = item.metadata?.name;
      if (name !== undefined) this.items.set(name, item);
    }
    this.resourceVersion = listed.resourceVersion;
    this.options.onChange();
  }

  private async loop(): Promise<void> {
    const { signal, pollIntervalMs } = this.options;
    let needList = false;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.relist();
          needList = false;
        } catch (error) {
          this.options.log?.debug({ err: error, path: this.options.path }, 'list failed; polling');
          await abortableSleep(pollIntervalMs, signal);
          continue;
        }
      }
      const started = Date.now();
      const outcome = await this.watchOnce();
      if (signal.aborted) return;
      this.options.metrics?.kubernetesWatchRestarted(outcome);
      if (outcome === 'expired') needList = true;
      else if (outcome === 'failed' || Date.now() - started < 200) {
        // Watches are not working (or end at once): poll by listing.
        needList = true;
        await abortableSleep(pollIntervalMs, signal);
      }
      // Otherwise the watch dropped after working: resume from the last resourceVersion.
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    const { kc, path, signal, watchTimeoutSeconds, metrics } = this.options;
    const { resource } = kubeRequestLabels('GET', path);
    return new Promise((resolve) => {
      let expired = false;
      let controller: AbortController | undefined;
      const stop = () => controller?.abort();
      signal.addEventListener('abort', stop, { once: true });
      const query: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: watchTimeoutSeconds,
      };
      if (this.resourceVersion !== undefined) query.resourceVersion = this.resourceVersion;
      // Without a resourceVersion the watch starts with every object there is: what was kept is replaced.
      else this.items.clear();
      new Watch(kc)
        .watch(
          path,
          query,
          (type: string, object: T & { code?: number }) => {
            if (type === 'ERROR') {
              if (object.code === 410) expired = true;
              return;
            }
            const rv = object.metadata?.resourceVersion;
            if (rv !== undefined) this.resourceVersion = rv;
            if (type === 'BOOKMARK') return;
            const name = object.metadata?.name;
            if (name === undefined) return;
            if (type === 'DELETED') this.items.delete(name);
            else this.items.set(name, object);
            this.options.onChange();
          },
          (error: unknown) => {
            signal.removeEventListener('abort', stop);
            const status = (error as { statusCode?: unknown } | null)?.statusCode;
            if (expired || status === 410) resolve('expired');
            else resolve(typeof status === 'number' ? 'failed' : 'dropped');
          },
        )
        .then(
          (c) => {
            metrics?.kubernetesRequest('watch', resource, 200);
            controller = c;
            if (signal.aborted) c.abort();
          },
          (error: unknown) => {
            const status = (error as { statusCode?: unknown } | null)?.statusCode;
            metrics?.kubernetesRequest('watch', resource, typeof status === 'number' ? status : undefined);
            resolve('failed');
          },
        );
    });
  }
}
