import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric Glimpse exports, in one registry. Labels take values from small fixed sets only
 * (never a PR number, namespace, sha or repository), so the number of series stays bounded. Parts of Glimpse
 * are handed this object and report through its methods; without one they count nothing.
 */
export type RuntimeName = 'local' | 'kubernetes';
/** `applied`: complete in itself (an installation event, a ping); `queued`: work for the controller. */
export type WebhookOutcome = 'queued' | 'applied' | 'ignored' | 'duplicate' | 'rejected' | 'error';
export type DeployOutcome = 'succeeded' | 'failed' | 'canceled';
export type ReconcileAction = 'deploy' | 'delete';
/** Why an attempt failed, by class: see `failureReason` in the controller. */
export type FailureReason = 'config' | 'checks' | 'runtime' | 'unavailable' | 'crashed' | 'internal';
export type RateLimitWaitKind = 'primary' | 'secondary' | 'write_spacing';
export type WatchRestartReason = 'dropped' | 'expired' | 'failed';

/** What the database says about all environments, read on each scrape (every replica sees the same). */
export interface ControllerState {
  phases: Record<string, number>;
  /** Environments whose work is due and which nobody holds. */
  queueDepth: number;
  /** Seconds the longest-waiting of them has waited (0: none waits). */
  oldestWaitingSeconds: number;
}

const SECONDS_TO_15_MIN = [1, 2, 5, 10, 20, 30, 60, 120, 180, 300, 450, 600, 900];
const WEBHOOK_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
/** How long one read of the controller state serves scrapes (the three gauges share it). */
const STATE_TTL_MS = 1_000;

export class GlimpseMetrics {
  readonly registry = new Registry();
  #readState: (() => Promise<ControllerState>) | undefined;
  #state: { at: number; value: Promise<ControllerState | undefined> } | undefined;
  #lastState: ControllerState | undefined;
  #leasesHeld: (() => number) | undefined;
  #localProcesses: (() => number) | undefined;

  readonly #webhookDeliveries = this.#counter(
    'glimpse_webhook_deliveries_total',
    'GitHub webhook deliveries answered, by event and outcome.',
    ['event', 'outcome'],
  );
  readonly #webhookSeconds = new Histogram({
    name: 'glimpse_webhook_answer_seconds',
    help: 'Time to answer a GitHub webhook delivery, by outcome.',
    labelNames: ['outcome'],
    buckets: WEBHOOK_SECONDS,
    registers: [this.registry],
  });
  readonly #deploysStarted = this.#counter(
    'glimpse_deploys_started_total',
    'Deployments started (one per attempt to deploy a commit), by runtime.',
    ['runtime'],
  );
  readonly #deploysFinished = this.#counter(
    'glimpse_deploys_finished_total',
    'Deployments finished, by runtime and outcome (succeeded, failed, canceled).',
    ['runtime', 'outcome'],
  );
  readonly #deploySeconds = new Histogram({
    name: 'glimpse_deploy_duration_seconds',
    help: 'Time from a deployment starting to its outcome, by runtime and outcome.',
    labelNames: ['runtime', 'outcome'],
    buckets: SECONDS_TO_15_MIN,
    registers: [this.registry],
  });
  readonly #webhookToRunning = new Histogram({
    name: 'glimpse_webhook_to_running_seconds',
    help: 'Time from the change that asked for a deploy (a webhook, a redeploy) to the preview running, by runtime.',
    labelNames: ['runtime'],
    buckets: SECONDS_TO_15_MIN,
    registers: [this.registry],
  });
  readonly #cleanupSeconds = new Histogram({
    name: 'glimpse_cleanup_duration_seconds',
    help: 'Time from a pull request closing to its preview being gone, by runtime.',
    labelNames: ['runtime'],
    buckets: SECONDS_TO_15_MIN,
    registers: [this.registry],
  });
  readonly #reconcileAttempts = this.#counter(
    'glimpse_reconcile_attempts_total',
    'Reconcile attempts by the controller, by action (deploy, delete).',
    ['action'],
  );
  readonly #reconcileFailures = this.#counter(
    'glimpse_reconcile_failures_total',
    'Failed reconcile attempts (retried or not), by reason class.',
    ['reason'],
  );
  readonly #reconcileRetries = this.#counter(
    'glimpse_reconcile_retries_total',
    'Attempts scheduled again after a transient failure.',
    [],
  );
  readonly #githubRequests = this.#counter(
    'glimpse_github_requests_total',
    'HTTP requests to the GitHub API, by route family and status code ("error": no answer).',
    ['route', 'status'],
  );
  readonly #githubRemaining = new Gauge({
    name: 'glimpse_github_rate_limit_remaining',
    help: 'Requests left in the current GitHub rate-limit window, as the last answer said, by resource.',
    labelNames: ['resource'],
    registers: [this.registry],
  });
  readonly #githubWaitSeconds = this.#counter(
    'glimpse_github_rate_limit_wait_seconds_total',
    'Time spent waiting on GitHub rate limits, by kind (primary, secondary, write_spacing).',
    ['kind'],
  );
  readonly #kubeRequests = this.#counter(
    'glimpse_kubernetes_requests_total',
    'Requests to the Kubernetes API, by verb, resource and status code ("error": no answer).',
    ['verb', 'resource', 'code'],
  );
  readonly #watchRestarts = this.#counter(
    'glimpse_kubernetes_watch_restarts_total',
    'Kubernetes watches started again, by why the previous one ended.',
    ['reason'],
  );
  readonly #localRestarts = this.#counter(
    'glimpse_local_preview_restarts_total',
    'Local preview processes restarted after they exited on their own.',
    [],
  );
  readonly #proxyRequests = this.#counter(
    'glimpse_local_proxy_requests_total',
    'Responses of the local preview proxy, by status class (2xx, 3xx, 4xx, 5xx, 1xx for upgrades).',
    ['status_class'],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` rejects; `nodejs_active_handles` and the
    // others (by type) carry the same numbers.
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    const metrics = this;
    new Gauge({
      name: 'glimpse_environments',
      help: 'Environments by phase (all replicas: read from the database).',
      labelNames: ['phase'],
      registers: [this.registry],
      async collect() {
        const state = await metrics.#controllerState();
        this.reset();
        for (const [phase, count] of Object.entries(state?.phases ?? {})) this.set({ phase }, count);
      },
    });
    new Gauge({
      name: 'glimpse_queue_depth',
      help: 'Environments whose work is due and that no controller holds yet.',
      registers: [this.registry],
      async collect() {
        this.set((await metrics.#controllerState())?.queueDepth ?? 0);
      },
    });
    new Gauge({
      name: 'glimpse_queue_oldest_waiting_seconds',
      help: 'How long the longest-waiting environment in the queue has waited.',
      registers: [this.registry],
      async collect() {
        this.set((await metrics.#controllerState())?.oldestWaitingSeconds ?? 0);
      },
    });
    new Gauge({
      name: 'glimpse_leases_held',
      help: 'Environments this replica holds a lease on and works on now.',
      registers: [this.registry],
      collect() {
        this.set(metrics.#leasesHeld?.() ?? 0);
      },
    });
    new Gauge({
      name: 'glimpse_local_preview_processes',
      help: 'Preview processes the local runtime runs now.',
      registers: [this.registry],
      collect() {
        this.set(metrics.#localProcesses?.() ?? 0);
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Where the environment, queue and lease gauges read from (the app sets these once it has them). */
  observeController(readState: () => Promise<ControllerState>, leasesHeld: () => number): void {
    this.#readState = readState;
    this.#leasesHeld = leasesHeld;
  }

  observeLocalPreviews(processes: () => number): void {
    this.#localProcesses = processes;
  }

  webhookAnswered(event: string, outcome: WebhookOutcome, seconds: number): void {
    this.#webhookDeliveries.inc({ event, outcome });
    this.#webhookSeconds.observe({ outcome }, seconds);
  }

  deployStarted(runtime: RuntimeName): void {
    this.#deploysStarted.inc({ runtime });
  }

  deployFinished(runtime: RuntimeName, outcome: DeployOutcome, seconds: number): void {
    this.#deploysFinished.inc({ runtime, outcome });
    this.#deploySeconds.observe({ runtime, outcome }, seconds);
  }

  previewRunning(runtime: RuntimeName, secondsSinceAsked: number): void {
    this.#webhookToRunning.observe({ runtime }, secondsSinceAsked);
  }

  previewGone(runtime: RuntimeName, secondsSinceClosed: number): void {
    this.#cleanupSeconds.observe({ runtime }, secondsSinceClosed);
  }

  reconcileAttempted(action: ReconcileAction): void {
    this.#reconcileAttempts.inc({ action });
  }

  reconcileFailed(reason: FailureReason): void {
    this.#reconcileFailures.inc({ reason });
  }

  reconcileRetried(): void {
    this.#reconcileRetries.inc();
  }

  githubRequest(route: string, status: number | undefined): void {
    this.#githubRequests.inc({ route, status: status === undefined ? 'error' : String(status) });
  }

  githubRateLimit(resource: string, remaining: number): void {
    this.#githubRemaining.set({ resource }, remaining);
  }

  githubWaited(kind: RateLimitWaitKind, ms: number): void {
    if (ms > 0) this.#githubWaitSeconds.inc({ kind }, ms / 1000);
  }

  kubernetesRequest(verb: string, resource: string, code: number | undefined): void {
    this.#kubeRequests.inc({ verb, resource, code: code === undefined ? 'error' : String(code) });
  }

  kubernetesWatchRestarted(reason: WatchRestartReason): void {
    this.#watchRestarts.inc({ reason });
  }

  localPreviewRestarted(): void {
    this.#localRestarts.inc();
  }

  localProxyAnswered(status: number): void {
    this.#proxyRequests.inc({ status_class: `${Math.min(Math.max(Math.floor(status / 100), 1), 5)}xx` });
  }

  #counter(name: string, help: string, labelNames: string[]): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** One database read serves the gauges of a scrape; when it fails, they keep what the last one read. */
  #controllerState(): Promise<ControllerState | undefined> {
    const read = this.#readState;
    if (read === undefined) return Promise.resolve(undefined);
    const now = Date.now();
    if (this.#state === undefined || now - this.#state.at > STATE_TTL_MS) {
      this.#state = {
        at: now,
        value: read().then(
          (state) => {
            this.#lastState = state;
            return state;
          },
          () => this.#lastState,
        ),
      };
    }
    return this.#state.value;
  }
}
