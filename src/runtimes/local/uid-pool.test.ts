import { describe, expect, it } from 'vitest';
import { UidPool } from './uid-pool.ts';

describe('UidPool', () => {
  it('gives each preview a uid of its own, the recorded one back after a restart, and reuses freed ones', () => {
    const pool = new UidPool({ first: 200_000, last: 200_002 });
    expect(pool.take(200_001)).toBe(200_001); // recovered from a state file
    expect(pool.take()).toBe(200_000);
    expect(pool.take(200_001)).toBe(200_002); // taken: another one
    expect(() => pool.take()).toThrow(
      'Every uid of GLIMPSE_LOCAL_UID_RANGE (200000-200002) belongs to a live preview',
    );
    pool.give(200_000);
    expect(pool.take(5)).toBe(200_000); // outside the range: not given
  });
});
