import { describe, expect, it } from 'vitest';
import { failureReason, failureWithOutput } from './failure-text.ts';

describe('failureWithOutput', () => {
  it('adds the last ten non-empty lines of output under the reason, and failureReason takes them off', () => {
    const lines = Array.from({ length: 14 }, (_, i) => `app: line ${i}`);
    const error = failureWithOutput('The app exited with exit code 1 3 times', [...lines, '']);
    expect(error).toBe(
      `The app exited with exit code 1 3 times\nLast lines of its output:\n${lines
        .slice(4)
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
    expect(failureReason(error)).toBe('The app exited with exit code 1 3 times');
  });

  it('is the reason alone when there was no output', () => {
    expect(failureWithOutput('.glimpse.yml is invalid', [])).toBe('.glimpse.yml is invalid');
    expect(failureReason('a\nb')).toBe('a\nb');
  });
});
