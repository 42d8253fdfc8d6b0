/**
 * A token bucket per key (API token, or user for sessions): `perMinute` requests a minute, with bursts up
 * to the same number. In memory, so each replica counts on its own.
 */
export interface RateLimiter {
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createRateLimiter(options: { perMinute: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const capacity = options.perMinute;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (buckets.size > 10_000) pruneFull(buckets, capacity);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    },
  };
}

function pruneFull(buckets: Map<string, { tokens: number }>, capacity: number): void {
  for (const [key, bucket] of buckets) if (bucket.tokens >= capacity) buckets.delete(key);
}
