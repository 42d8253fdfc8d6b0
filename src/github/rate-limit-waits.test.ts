import { describe, expect, it } from 'vitest';
import { rateLimitWait } from './rate-limit-waits.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const failure = (status: number, headers: Record<string, string>, message = 'nope') => ({
  status,
  response: { headers, data: { message } },
});

describe('rateLimitWait', () => {
  it('waits until the primary reset, plus a second for clock skew', () => {
    const reset = String(NOW / 1000 + 30);
    expect(
      rateLimitWait(failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), NOW),
    ).toEqual({ kind: 'primary', waitMs: 31_000 });
  });

  it('takes retry-after over everything else', () => {
    const headers = { 'retry-after': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' };
    expect(rateLimitWait(failure(429, headers), NOW)).toEqual({ kind: 'secondary', waitMs: 5_000 });
  });

  it('waits a minute for a secondary limit that names no retry-after', () => {
    const error = failure(403, {}, 'You have exceeded a secondary rate limit. Please wait.');
    expect(rateLimitWait(error, NOW)).toEqual({ kind: 'secondary', waitMs: 60_000 });
  });

  it('leaves a plain 403 and other failures alone', () => {
    expect(
      rateLimitWait(failure(403, { 'x-ratelimit-remaining': '12' }, 'Resource not accessible'), NOW),
    ).toBe(undefined);
    expect(rateLimitWait(failure(500, { 'retry-after': '5' }), NOW)).toBe(undefined);
    expect(rateLimitWait(new Error('socket hang up'), NOW)).toBe(undefined);
  });
});
