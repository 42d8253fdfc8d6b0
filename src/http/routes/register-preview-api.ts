import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.ts';
import type { DatabaseHandle } from '../../db/database.ts';
import type { Redactor } from '../../domain/redactor.ts';
import type { GithubClient } from '../../github/github-client.ts';
import type { GithubOAuth } from '../../github/github-oauth.ts';
import type { Logger } from '../../logger.ts';
import type { Runtime } from '../../runtimes/runtime.ts';
import { EnvironmentChangeFeed } from '../../services/environments/environment-change-feed.ts';
import type { ServiceDeps } from '../../services/environments/service-deps.ts';
import { createServiceOperations } from '../../services/preview-operations.ts';
import { type AuthenticationDeps, csrfTokenOf, principalOf } from '../authenticate-request.ts';
import { createRateLimiter } from '../rate-limiter.ts';
import { createSessionSealer } from '../session-cookie.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { dashboardApiRoutes } from './dashboard-api-routes.ts';
import { environmentChangeRoutes } from './environment-change-routes.ts';
import { environmentRoutes } from './environment-routes.ts';
import { registerMcpRoute } from './mcp-route.ts';
import { registerApi } from './register-api.ts';

export interface PreviewApiDeps {
  config: Config;
  database: DatabaseHandle;
  /** What preview output passes through before it leaves (logs over REST, SSE and MCP). */
  redactor: Redactor;
  logger: Logger;
  runtime?: Runtime;
  github?: GithubClient;
  sessionSecret?: string;
  /** Where an administrator starts the GitHub App manifest flow; undefined when it is off. */
  githubAppConnectPath?: string;
  /** GitHub sign-in (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET); without it, signing in with GitHub is off. */
  oauth?: GithubOAuth;
  now?: () => Date;
}

/** The REST API (and later MCP and sign-in) over the one service layer; returns what to stop on close. */
export function registerPreviewApi(
  http: FastifyInstance,
  deps: PreviewApiDeps,
): { feed: EnvironmentChangeFeed; shutdown(): Promise<void> } {
  const now = deps.now ?? (() => new Date());
  const shutdown = new AbortController();
  const services: ServiceDeps = {
    db: deps.database.db,
    runtime: deps.runtime,
    github: deps.github,
    redactor: deps.redactor,
    now,
  };
  const auth: AuthenticationDeps = {
    db: deps.database.db,
    sessions: deps.sessionSecret === undefined ? undefined : createSessionSealer(deps.sessionSecret),
    rateLimiter:
      deps.config.api.rateLimitPerMinute > 0
        ? createRateLimiter({ perMinute: deps.config.api.rateLimitPerMinute, now: () => now().getTime() })
        : undefined,
    now,
  };
  const feed = new EnvironmentChangeFeed({ database: deps.database, logger: deps.logger, now });
  const routes = [
    ...environmentRoutes({
      operations: (request) => createServiceOperations(services, principalOf(request)),
      csrfToken: (request) => csrfTokenOf(auth, request),
      shutdown: shutdown.signal,
    }),
    ...environmentChangeRoutes({ feed, principal: principalOf, shutdown: shutdown.signal }),
    ...dashboardApiRoutes({
      db: deps.database.db,
      principal: principalOf,
      githubApp: { appId: deps.config.github.app?.appId, connectPath: deps.githubAppConnectPath },
    }),
  ];
  registerApi(http, routes, auth, deps.config.publicUrl);
  registerAuthRoutes(http, {
    db: deps.database.db,
    sessions: auth.sessions,
    oauth: deps.oauth,
    publicUrl: deps.config.publicUrl,
    now,
  });
  registerMcpRoute(http, auth, (request) => createServiceOperations(services, principalOf(request)));
  return {
    feed,
    async shutdown() {
      shutdown.abort();
      await feed.close();
    },
  };
}
