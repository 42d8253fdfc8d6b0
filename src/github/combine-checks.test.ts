import { describe, expect, it } from 'vitest';
import { combineChecks } from './combine-checks.ts';

describe('combineChecks', () => {
  it('is none without checks, success when all pass (neutral and skipped pass too)', () => {
    expect(combineChecks([], [])).toEqual({ state: 'none', checks: {} });
    const runs = [
      { name: 'build', status: 'completed', conclusion: 'success' },
      { name: 'docs', status: 'completed', conclusion: 'skipped' },
      { name: 'perf', status: 'completed', conclusion: 'neutral' },
    ];
    expect(combineChecks(runs, [{ context: 'ci', state: 'success' }]).state).toBe('success');
  });

  it('is pending while anything runs, and failure when anything failed', () => {
    const running = [{ name: 'build', status: 'queued', conclusion: null }];
    expect(combineChecks(running, [{ context: 'ci', state: 'success' }])).toEqual({
      state: 'pending',
      checks: { build: 'pending', ci: 'success' },
    });
    expect(combineChecks(running, [{ context: 'ci', state: 'error' }]).state).toBe('failure');
    const timedOut = [{ name: 'e2e', status: 'completed', conclusion: 'timed_out' }];
    expect(combineChecks(timedOut, []).checks).toEqual({ e2e: 'failure' });
  });
});
