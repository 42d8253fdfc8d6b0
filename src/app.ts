import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { type ConfigSource, githubConfigSource } from './controller/config-source.ts';
import { Controller, type ControllerOptions, DEFAULT_CONTROLLER_OPTIONS } from './controller/controller.ts';
import { EnvironmentUpdates } from './controller/environment-updates.ts';
import { GithubFeedback } from './controller/github-feedback.ts';
import { readControllerState } from './controller/read-controller-state.ts';
import { resync } from './controller/resync.ts';
import type { DatabaseHandle } from './db/database.ts';
import { migrationState } from './db/migrate.ts';
import { InvalidInput } from './domain/errors.ts';
import { APP_MANIFEST_START_PATH } from './domain/github-app-manifest.ts';
import { createRedactor, type Redactor } from './domain/redactor.ts';
import type { GithubApp } from './github/create-github-app.ts';
import type { GithubClient } from './github/github-client.ts';
import { createGithubOAuth } from './github/github-oauth.ts';
import { createHttpServer } from './http/create-http-server.ts';
import { registerDashboardRoutes } from './http/routes/dashboard-routes.ts';
import { registerGithubAppRoutes } from './http/routes/github-app-routes.ts';
import { type Readiness, registerHealthRoutes } from './http/routes/health-routes.ts';
import { registerMetricsRoute } from './http/routes/metrics-route.ts';
import { registerPreviewApi } from './http/routes/register-preview-api.ts';
import { registerWebhookRoute } from './http/routes/webhook-route.ts';
import { createSessionSealer } from './http/session-cookie.ts';
import type { Logger } from './logger.ts';
import type { GlimpseMetrics } from './metrics/glimpse-metrics.ts';
import type { Runtime } from './runtimes/runtime.ts';
import type { SecretBox } from './services/github-app/secret-box.ts';
import { createDeliveryReceiver } from './services/webhooks/receive-delivery.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  webhookSecret: string;
  /** Where previews run; without one, Glimpse only records desired state (no controller). */
  runtime?: Runtime;
  github?: { app: GithubApp; client: GithubClient };
  /** How `.glimpse.yml` is read when there is no GitHub App (the local runtime's git cache). */
  fallbackConfigSource?: ConfigSource;
  controller?: Partial<ControllerOptions> & {
    retryDelaysMs?: number[];
    maxAttempts?: number;
    /** How long a deploy runs before the PR is told it started (default 5 s; 0: at once). */
    announceDelayMs?: number;
  };
  /** Seals what Glimpse stores and signs the GitHub App manifest flow; without it, that flow is off. */
  secretBox?: SecretBox;
  /** Key of the session cookies; without it, signing in is off and only API tokens work. */
  sessionSecret?: string;
  now?: () => Date;
  /** The built dashboard (default: web/dist of this checkout); false: no dashboard. */
  dashboardDir?: string | false;
  /**
   * The metrics the runtime and the GitHub client (built before the app) also report to; served at `/metrics`,
   * or on GLIMPSE_METRICS_PORT. Unset: no metrics.
   */
  metrics?: GlimpseMetrics;
}

export interface App {
  http: FastifyInstance;
  /** The listener of `/metrics` alone, when GLIMPSE_METRICS_PORT is set (it listens once the app starts). */
  metricsHttp: FastifyInstance | undefined;
  controller: Controller | undefined;
  /** What removes secrets from preview output; secrets made after the app (the admin token) join it. */
  redactor: Redactor;
  /** Starts background work: the metrics listener (if it has its own port), the controller and the periodic resync. */
  start(): Promise<void>;
  /** Stops accepting connections, lets requests in flight finish, and stops background work. */
  close(): Promise<void>;
}

/** How long requests in flight may take to finish once the server closes. */
const CLOSE_GRACE_MS = 5_000;

const NO_CONFIG: ConfigSource = { read: async () => undefined };

/** Builds Glimpse from its dependencies; tests hand in their own database, runtime and simulators. */
export function createApp(deps: AppDeps): App {
  const redactor = createRedactor([...deps.config.secrets, deps.webhookSecret, deps.sessionSecret]);
  const http = createHttpServer({ logger: deps.logger });
  registerHealthRoutes(http, () => checkReadiness(deps));
  registerWebhookRoute(http, {
    receiveDelivery: createDeliveryReceiver(deps.database.db),
    secret: deps.webhookSecret,
    metrics: deps.metrics,
  });
  const metricsHttp = serveMetrics(deps, http);
  if (deps.secretBox !== undefined) {
    registerGithubAppRoutes(http, {
      db: deps.database.db,
      box: deps.secretBox,
      sessions: deps.sessionSecret === undefined ? undefined : createSessionSealer(deps.sessionSecret),
      publicUrl: deps.config.publicUrl,
      apiUrl: deps.config.github.apiUrl,
      now: deps.now ?? (() => new Date()),
    });
  }
  const previewApi = registerPreviewApi(http, {
    config: deps.config,
    database: deps.database,
    redactor,
    logger: deps.logger,
    ...(deps.runtime === undefined ? {} : { runtime: deps.runtime }),
    ...(deps.github === undefined ? {} : { github: deps.github.client }),
    ...(deps.sessionSecret === undefined ? {} : { sessionSecret: deps.sessionSecret }),
    // An administrator starts the manifest flow from a signed-in session: both the box and sessions are needed.
    ...(deps.secretBox === undefined || deps.sessionSecret === undefined
      ? {}
      : { githubAppConnectPath: APP_MANIFEST_START_PATH }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.config.github.oauth === undefined
      ? {}
      : { oauth: createGithubOAuth({ apiUrl: deps.config.github.apiUrl, ...deps.config.github.oauth }) }),
  });
  if (deps.dashboardDir !== false) registerDashboardRoutes(http, deps.dashboardDir);
  const controller = deps.runtime === undefined ? undefined : createController(deps, deps.runtime, redactor);
  deps.metrics?.observeController(
    () => readControllerState(deps.database.db),
    () => controller?.activeCount ?? 0,
  );
  let resyncTimer: NodeJS.Timeout | undefined;
  // A pass can outlast the interval (it waits for stuck namespaces): the next tick then skips, not overlaps.
  let resyncRunning = false;
  const runResync = async () => {
    if (deps.runtime === undefined || resyncRunning) return;
    resyncRunning = true;
    try {
      await resync({
        db: deps.database.db,
        runtime: deps.runtime,
        github: deps.github?.client,
        logger: deps.logger,
      });
    } catch (error) {
      deps.logger.warn({ err: error }, 'resync failed');
    } finally {
      resyncRunning = false;
    }
  };
  return {
    http,
    metricsHttp,
    controller,
    redactor,
    async start() {
      const metricsPort = deps.config.metrics.port;
      if (metricsHttp !== undefined && metricsPort !== undefined)
        await listenForMetrics(metricsHttp, deps.config.host, metricsPort);
      if (controller === undefined) return;
      await controller.start();
      void runResync();
      resyncTimer = setInterval(() => void runResync(), deps.config.controller.resyncMs);
    },
    async close() {
      await previewApi.shutdown();
      clearInterval(resyncTimer);
      // Requests in flight get a grace period to finish; a connection still open after it (a client that
      // stopped reading a stream) must not keep the server from closing.
      const cutOff = setTimeout(() => http.server.closeAllConnections(), CLOSE_GRACE_MS);
      await http.close();
      clearTimeout(cutOff);
      await metricsHttp?.close();
      await controller?.stop();
      await deps.runtime?.close();
    },
  };
}

/** This process in `lease_owner`: host and pid, and a random part (a pid repeats across containers). */
function processOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function createController(deps: AppDeps, runtime: Runtime, redactor: Redactor): Controller {
  const logger = deps.logger;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics;
  const updates = new EnvironmentUpdates(
    deps.database.db,
    logger,
    now,
    metrics === undefined ? undefined : { metrics, runtime: runtime.name },
  );
  const github = deps.github;
  const feedback = new GithubFeedback({
    github: github?.client,
    updates,
    publicUrl: deps.config.publicUrl,
    redactor,
    logger,
    now,
  });
  const options = deps.controller ?? {};
  return new Controller(
    deps.database,
    {
      runtime,
      updates,
      feedback,
      configSource:
        github !== undefined ? githubConfigSource(github.client) : (deps.fallbackConfigSource ?? NO_CONFIG),
      github: github?.client,
      fetchToken: async (installationId) =>
        github === undefined ? undefined : github.app.installationToken(installationId),
      redactor,
      logger,
      now,
      retryDelaysMs: options.retryDelaysMs ?? [1000, 2000, 4000],
      maxAttempts: options.maxAttempts ?? 3,
      announceDelayMs: options.announceDelayMs ?? 5_000,
      metrics,
    },
    {
      ...DEFAULT_CONTROLLER_OPTIONS,
      owner: processOwner(),
      maxConcurrent: deps.config.controller.maxConcurrentDeploys,
      maxConcurrentDeletes: deps.config.controller.maxConcurrentDeletes,
      leaseMs: deps.config.controller.leaseMs,
      ...options,
    },
  );
}

/**
 * `/metrics` on the main server, or, with GLIMPSE_METRICS_PORT, on a server of its own (returned; it listens
 * on start). Without metrics, neither.
 */
function serveMetrics(deps: AppDeps, http: FastifyInstance): FastifyInstance | undefined {
  const metrics = deps.metrics;
  if (metrics === undefined) return undefined;
  const { port, token } = deps.config.metrics;
  if (port === undefined) {
    registerMetricsRoute(http, { metrics, token });
    return undefined;
  }
  const own = createHttpServer({ logger: deps.logger, bodyLimitBytes: 1024 });
  registerMetricsRoute(own, { metrics, token });
  return own;
}

async function listenForMetrics(server: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await server.listen({ host, port });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new InvalidInput(
        `${host}:${port} is already in use: stop what listens there, or set GLIMPSE_METRICS_PORT to another port.`,
      );
    }
    throw error;
  }
}

async function checkReadiness(deps: AppDeps): Promise<Readiness> {
  try {
    const state = await migrationState(deps.database.db);
    if (state.pending > 0)
      return { ready: false, reason: `${state.pending} database migration(s) not applied` };
    return {
      ready: true,
      details: {
        database: deps.database.kind,
        runtime: deps.config.runtime,
        github: deps.github === undefined ? 'feedback off: no GitHub App credentials' : 'app',
      },
    };
  } catch (error) {
    deps.logger.warn({ err: error }, 'readiness check failed');
    return {
      ready: false,
      reason: `database not reachable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
