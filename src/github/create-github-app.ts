import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import type { Logger } from 'pino';
import type { GlimpseMetrics } from '../metrics/glimpse-metrics.ts';
import { createAppJwt, parsePrivateKey } from './create-app-jwt.ts';
import { githubRouteFamily } from './github-route-family.ts';
import { createInstallationTokenCache } from './installation-token-cache.ts';
import { installRateLimitWaits, type RateLimitClock } from './rate-limit-waits.ts';
import { sendGuards } from './send-guard.ts';
import { translateGithubError } from './translate-github-error.ts';

export const GlimpseOctokit = Octokit.plugin(paginateRest, sendGuards, retry);
export type InstallationOctokit = InstanceType<typeof GlimpseOctokit>;

export interface GithubAppOptions {
  appId: number | string;
  privateKey: string;
  /** GITHUB_API_URL: https://api.github.com, a GitHub Enterprise URL, or the simulator. */
  apiUrl: string;
  logger: Logger;
  /** Clock for token expiry, JWTs and rate-limit resets (epoch ms). */
  now?: () => number;
  /** How rate-limit and write-spacing waits pass (default: real timers); tests pass a virtual clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Base of the retry backoff for 5xx and network errors: waits 1x, 4x, 9x this (default 1000 ms). */
  retryBaseMs?: number;
  /** GitHub asks integrations to space writes by 1 s to avoid secondary rate limits (default 1000 ms). */
  minWriteIntervalMs?: number;
  /** Abort a single request after this long (default 30 s); counts as a network failure. */
  requestTimeoutMs?: number;
  /** Give up (Unavailable) instead of waiting for a rate limit that resets later than this (default 300 s). */
  maxRateLimitWaitSeconds?: number;
  /** Counts requests by route family and status, the quota left and the time waited on limits. */
  metrics?: GlimpseMetrics | undefined;
}

export interface GithubApp {
  installationOctokit(installationId: number): InstallationOctokit;
  /** A current installation token, e.g. for `git fetch` over HTTPS; never log or store it. */
  installationToken(installationId: number): Promise<string>;
}

const LOW_QUOTA_FRACTION = 0.1;
const MAX_RATE_LIMIT_RETRIES = 2;

export function createGithubApp(options: GithubAppOptions): GithubApp {
  const now = options.now ?? Date.now;
  const key = parsePrivateKey(options.privateKey);
  const log = options.logger.child({ component: 'github' });
  const clock: RateLimitClock = { now, sleep: options.sleep ?? ((ms) => sleep(ms)) };

  const metrics = options.metrics;
  const build = () => {
    const octokit = new GlimpseOctokit({
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: 'glimpse',
      ...(metrics === undefined ? {} : { request: { fetch: countingFetch(metrics) } }),
      log: {
        debug: () => {},
        info: () => {},
        warn: (message) => log.warn(message),
        error: (m) => log.error(m),
      },
      retry: {
        // 429 and 403 rate limits are waited out by installRateLimitWaits instead.
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
        retryAfterBaseValue: options.retryBaseMs ?? 1000,
      },
    });
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    octokit.hook.before('request', (request) => {
      request.request = { ...request.request, signal: AbortSignal.timeout(timeoutMs) };
    });
    octokit.hook.after('request', (response, request) => {
      const remaining = Number(response.headers['x-ratelimit-remaining']);
      const limit = Number(response.headers['x-ratelimit-limit']);
      if (!Number.isFinite(remaining) || !Number.isFinite(limit)) return;
      const resource = String(response.headers['x-ratelimit-resource'] ?? 'core');
      metrics?.githubRateLimit(/^[a-z_]{1,40}$/.test(resource) ? resource : 'other', remaining);
      const fields = { method: request.method, url: request.url, remaining, limit };
      if (remaining < limit * LOW_QUOTA_FRACTION) log.warn(fields, 'github rate limit quota low');
      else log.debug(fields, 'github quota');
    });
    // Hooks added later wrap the earlier ones: each retry after a wait gets a fresh timeout signal.
    installRateLimitWaits(octokit, {
      clock,
      maxWaitSeconds: options.maxRateLimitWaitSeconds ?? 300,
      maxRetries: MAX_RATE_LIMIT_RETRIES,
      minWriteIntervalMs: options.minWriteIntervalMs ?? 1000,
      log,
      ...(metrics === undefined ? {} : { onWait: (kind, ms) => metrics.githubWaited(kind, ms) }),
    });
    return octokit;
  };

  const appOctokit = build();
  const tokens = createInstallationTokenCache({
    now,
    fetchToken: async (installationId) => {
      try {
        const { data } = await appOctokit.request('POST /app/installations/{installation_id}/access_tokens', {
          installation_id: installationId,
          headers: { authorization: `bearer ${createAppJwt(options.appId, key, now())}` },
        });
        log.debug({ installationId, expiresAt: data.expires_at }, 'github installation token issued');
        return { token: data.token, expiresAt: Date.parse(data.expires_at) };
      } catch (error) {
        throw translateGithubError(error, `get an installation token for installation ${installationId}`);
      }
    },
  });

  const installations = new Map<number, InstallationOctokit>();
  return {
    installationToken: (installationId) => tokens.get(installationId),
    installationOctokit(installationId) {
      let octokit = installations.get(installationId);
      if (octokit) return octokit;
      octokit = build();
      const usedTokens = new WeakMap<object, string>();
      octokit.hook.before('request', async (request) => {
        const token = await tokens.get(installationId);
        usedTokens.set(request, token);
        request.headers.authorization = `token ${token}`;
      });
      octokit.hook.error('request', (error, request) => {
        // Forget the token this request used (not whatever is newest) when GitHub rejects it.
        const used = usedTokens.get(request);
        if ('status' in error && error.status === 401 && used) tokens.invalidate(installationId, used);
        throw error;
      });
      installations.set(installationId, octokit);
      return octokit;
    },
  };
}

/** `fetch` that counts every answer (retries included) by route family and status; no answer is `error`. */
function countingFetch(metrics: GlimpseMetrics): typeof fetch {
  return async (input, init) => {
    const route = githubRouteFamily(input instanceof Request ? input.url : String(input));
    try {
      const response = await fetch(input, init);
      metrics.githubRequest(route, response.status);
      return response;
    } catch (error) {
      metrics.githubRequest(route, undefined);
      throw error;
    }
  };
}
