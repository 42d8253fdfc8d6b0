import { describe, expect, it } from 'vitest';
import type { Sandbox } from './choose-sandbox.ts';
import { describeLimits, detectLimits } from './limit-enforcement.ts';

const caps = { memory: '4Gi', processes: 512 };
const sandbox: Sandbox = { mode: 'uid', uids: { first: 200_000, last: 200_009 } };
const setup = { caps, prlimit: '/usr/bin/prlimit', scheduling: 'batch', chrt: '/usr/bin/chrt' } as const;

describe('previews as batch work', () => {
  it('finds chrt only when previews are to run as batch work', () => {
    const local = { searchPath: '/usr/bin:/bin', maxResources: caps };
    expect(detectLimits({ ...local, scheduling: 'batch' }).chrt).toMatch(/\/chrt$/);
    expect(detectLimits({ ...local, scheduling: 'normal' }).chrt).toBeUndefined();
    expect(detectLimits({ ...local, searchPath: '/nonexistent', scheduling: 'batch' }).chrt).toBeUndefined();
  });

  it('says whether previews preempt Glimpse, and why', () => {
    expect(describeLimits(sandbox, setup, false).enforced).toContain(
      'CPU scheduling: previews run as batch work (SCHED_BATCH), with their share of the CPU but without preempting Glimpse when they wake',
    );
    expect(
      describeLimits(sandbox, { ...setup, scheduling: 'normal', chrt: undefined }, false).notEnforced,
    ).toContain(
      'CPU scheduling: previews preempt Glimpse like any process (GLIMPSE_LOCAL_SCHEDULING=normal)',
    );
    const noChrt = describeLimits(sandbox, { ...setup, prlimit: undefined, chrt: undefined }, false);
    expect(noChrt.enforced).toEqual([]);
    expect(noChrt.notEnforced.join('\n')).toMatch(
      /prlimit is not installed.*\nCPU scheduling: .*chrt is not installed/,
    );
  });
});
