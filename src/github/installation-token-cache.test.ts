import { describe, expect, it } from 'vitest';
import { createInstallationTokenCache } from './installation-token-cache.ts';

describe('createInstallationTokenCache', () => {
  it('shares one request among concurrent callers and refreshes 5 minutes before expiry', async () => {
    let clock = 0;
    let issued = 0;
    const cache = createInstallationTokenCache({
      now: () => clock,
      fetchToken: async () => {
        issued += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { token: `t${issued}`, expiresAt: clock + 60 * 60_000 };
      },
    });
    expect(await Promise.all([cache.get(1), cache.get(1), cache.get(1)])).toEqual(['t1', 't1', 't1']);
    clock = 55 * 60_000 - 1;
    expect(await cache.get(1)).toBe('t1');
    clock = 55 * 60_000;
    expect(await cache.get(1)).toBe('t2');
    expect(await cache.get(2)).toBe('t3');
  });

  it('does not cache a failed request, and forgets a rejected token', async () => {
    let attempt = 0;
    const cache = createInstallationTokenCache({
      now: () => 0,
      fetchToken: async () => {
        attempt += 1;
        if (attempt === 1) throw new Error('boom');
        return { token: `t${attempt}`, expiresAt: 60 * 60_000 };
      },
    });
    await expect(cache.get(1)).rejects.toThrow('boom');
    expect(await cache.get(1)).toBe('t2');
    cache.invalidate(1, 'other');
    expect(await cache.get(1)).toBe('t2');
    cache.invalidate(1, 't2');
    expect(await cache.get(1)).toBe('t3');
  });
});
