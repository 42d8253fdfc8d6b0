import type { Octokit } from '@octokit/core';
import type { Logger } from 'pino';

/** Time as the rate-limit waits see it; injected so tests can prove a wait without waiting. */
export interface RateLimitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RateLimitPolicy {
  clock: RateLimitClock;
  /** Give up instead of waiting for a limit that lifts later than this. */
  maxWaitSeconds: number;
  /** Retries of one request after rate limits, before its error goes to the caller. */
  maxRetries: number;
  /** GitHub asks integrations to space writes (POST, PATCH, PUT, DELETE) by 1 s. */
  minWriteIntervalMs: number;
  log: Logger;
  /** Told of every wait: a rate limit waited out, or a write spaced from the one before. */
  onWait?: (kind: RateLimitWait['kind'] | 'write_spacing', ms: number) => void;
}

export interface RateLimitWait {
  kind: 'primary' | 'secondary';
  waitMs: number;
}

interface ErrorResponse {
  status?: number;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** GitHub's documented default when a secondary limit names no `retry-after`: at least a minute. */
const SECONDARY_DEFAULT_WAIT_MS = 60_000;
/** `x-ratelimit-reset` is whole seconds and the clocks differ: wait one more. */
const RESET_MARGIN_MS = 1_000;

/** How long GitHub asks us to wait before retrying `error`, or undefined when it is no rate limit. */
export function rateLimitWait(error: unknown, nowMs: number): RateLimitWait | undefined {
  const { status, response } = (error ?? {}) as ErrorResponse;
  if (status !== 403 && status !== 429) return undefined;
  const headers = response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) {
    return { kind: 'secondary', waitMs: Math.max(retryAfter, 0) * 1000 };
  }
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const resetMs = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(resetMs)) {
      return { kind: 'primary', waitMs: Math.max(resetMs - nowMs, 0) + RESET_MARGIN_MS };
    }
  }
  const message = (response?.data as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && /secondary rate limit/i.test(message)) {
    return { kind: 'secondary', waitMs: SECONDARY_DEFAULT_WAIT_MS };
  }
  return undefined;
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** A GraphQL query is POSTed but reads; only a mutation writes. */
function isWriteRequest(options: { method?: unknown; url?: unknown; query?: unknown }): boolean {
  if (!WRITE_METHODS.has(String(options.method).toUpperCase())) return false;
  if (!/\/graphql$/.test(String(options.url))) return true;
  return typeof options.query !== 'string' || /^\s*mutation\b/.test(options.query);
}

/** Spaces writes and waits out GitHub's primary and secondary rate limits, as GitHub's guidance asks. */
export function installRateLimitWaits(octokit: Octokit, policy: RateLimitPolicy): void {
  const { clock, log } = policy;
  const writeTurn = spacedTurns(clock, policy.minWriteIntervalMs, (ms) =>
    policy.onWait?.('write_spacing', ms),
  );
  octokit.hook.wrap('request', async (request, options) => {
    const isWrite = isWriteRequest(options);
    for (let retries = 0; ; retries++) {
      if (isWrite) await writeTurn();
      try {
        return await request(options);
      } catch (error) {
        const wait = rateLimitWait(error, clock.now());
        if (wait === undefined) throw error;
        const retrying = retries < policy.maxRetries && wait.waitMs <= policy.maxWaitSeconds * 1000;
        log.warn(
          { method: options.method, url: options.url, retryAfter: Math.ceil(wait.waitMs / 1000), retrying },
          wait.kind === 'primary' ? 'github rate limit reached' : 'github secondary rate limit reached',
        );
        if (!retrying) throw error;
        policy.onWait?.(wait.kind, wait.waitMs);
        await clock.sleep(wait.waitMs);
      }
    }
  });
}

/** Each call resolves in turn, at least `intervalMs` after the previous one did. */
function spacedTurns(
  clock: RateLimitClock,
  intervalMs: number,
  onWait: (ms: number) => void,
): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  let tail: Promise<void> = Promise.resolve();
  return () => {
    tail = tail.then(async () => {
      const wait = last + intervalMs - clock.now();
      if (wait > 0) {
        onWait(wait);
        await clock.sleep(wait);
      }
      last = clock.now();
    });
    return tail;
  };
}
