import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import type { Logger } from 'pino';
import { createAppJwt, parsePrivateKey } from './create-app-jwt.ts';
import { createInstallationTokenCache } from './installation-token-cache.ts';
import { translateGithubError } from './translate-github-error.ts';

export const GlimpseOctokit = Octokit.plugin(paginateRest, retry, throttling);
export type InstallationOctokit = InstanceType<typeof GlimpseOctokit>;

export interface GithubAppOptions {
  appId: number | string;
  privateKey: string;
  /** GITHUB_API_URL: https://api.github.com, a GitHub Enterprise URL, or the simulator. */
  apiUrl: string;
  logger: Logger;
  /** Clock for token expiry and JWTs (epoch ms). */
  now?: () => number;
  /** Base of the retry backoff for 5xx and network errors: waits 1x, 4x, 9x this (default 1000 ms). */
  retryBaseMs?: number;
  /** GitHub asks integrations to space writes by 1 s to avoid secondary rate limits (default 1000 ms). */
  minWriteIntervalMs?: number;
  /** Abort a single request after this long (default 30 s); counts as a network failure. */
  requestTimeoutMs?: number;
  /** Give up (Unavailable) instead of waiting for a rate limit that resets later than this (default 300 s). */
  maxRateLimitWaitSeconds?: number;
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
  const maxWait = options.maxRateLimitWaitSeconds ?? 300;
  const writes = spacedWrites(options.minWriteIntervalMs ?? 1000);

  const throttle: ThrottlingOptions = {
    id: `glimpse-app-${options.appId}`,
    // The plugin's own write queue is process-wide and fixed at 1 s; ours honours minWriteIntervalMs.
    write: writes as unknown as NonNullable<ThrottlingOptions['write']>,
    notifications: writes as unknown as NonNullable<ThrottlingOptions['notifications']>,
    onRateLimit: (retryAfter, request, _octokit, retryCount) => {
      const retrying = retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= maxWait;
      log.warn(
        { method: request.method, url: request.url, retryAfter, retrying },
        'github rate limit reached',
      );
      return retrying;
    },
    onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
      const retrying = retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= maxWait;
      log.warn(
        { method: request.method, url: request.url, retryAfter, retrying },
        'github secondary rate limit reached',
      );
      return retrying;
    },
  };

  const build = () => {
    const octokit = new GlimpseOctokit({
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: 'glimpse',
      log: {
        debug: () => {},
        info: () => {},
        warn: (message) => log.warn(message),
        error: (m) => log.error(m),
      },
      retry: {
        // 429 and 403 rate limits belong to the throttling plugin, which waits for the reset.
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
        retryAfterBaseValue: options.retryBaseMs ?? 1000,
      },
      throttle,
    });
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    octokit.hook.before('request', (request) => {
      request.request = { ...request.request, signal: AbortSignal.timeout(timeoutMs) };
    });
    octokit.hook.after('request', (response, request) => {
      const remaining = Number(response.headers['x-ratelimit-remaining']);
      const limit = Number(response.headers['x-ratelimit-limit']);
      if (!Number.isFinite(remaining) || !Number.isFinite(limit)) return;
      const fields = { method: request.method, url: request.url, remaining, limit };
      if (remaining < limit * LOW_QUOTA_FRACTION) log.warn(fields, 'github rate limit quota low');
      else log.debug(fields, 'github quota');
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

/** A stand-in for the plugin's Bottleneck write group: serialises writes, `minIntervalMs` apart. */
function spacedWrites(minIntervalMs: number) {
  let last = 0;
  let tail: Promise<void> = Promise.resolve();
  const limiter = {
    schedule<A extends unknown[], R>(
      _job: unknown,
      task: (...args: A) => R | Promise<R>,
      ...args: A
    ): Promise<R> {
      const turn = tail.then(async () => {
        const wait = last + minIntervalMs - Date.now();
        if (wait > 0) await sleep(wait);
        last = Date.now();
      });
      tail = turn;
      return turn.then(() => task(...args));
    },
  };
  return { key: () => limiter };
}
