import { describe, expect, it } from 'vitest';
import { GlimpseConfig } from '../../domain/glimpse-config.ts';
import { limitHit, prlimitArgs, resolvePreviewLimits } from './preview-limits.ts';

const caps = { memory: '4Gi', processes: 512 };
const limits = { prlimit: '/usr/bin/prlimit', memory: '256Mi', memoryBytes: 2 ** 28, processes: 64 };

describe('resolvePreviewLimits', () => {
  it('gives the caps by default and what the repo asks for within them', () => {
    expect(resolvePreviewLimits(GlimpseConfig.parse({}), caps)).toEqual({
      memory: '4Gi',
      memoryBytes: 4 * 2 ** 30,
      processes: 512,
    });
    const asked = GlimpseConfig.parse({ local: { resources: { memory: '1Gi', processes: 100 } } });
    expect(resolvePreviewLimits(asked, caps)).toEqual({
      memory: '1Gi',
      memoryBytes: 2 ** 30,
      processes: 100,
    });
  });

  it('fails for good when the repo asks for more than the server allows', () => {
    const greedy = GlimpseConfig.parse({ local: { resources: { memory: '8Gi', processes: 10_000 } } });
    expect(() => resolvePreviewLimits(greedy, caps)).toThrow(
      "local.resources.memory 8Gi exceeds the server's maximum 4Gi; local.resources.processes 10000 exceeds the server's maximum 512",
    );
  });
});

describe('prlimitArgs', () => {
  it('sets the address space, and the process count only when the preview has a uid of its own', () => {
    expect(prlimitArgs(limits)).toEqual(['--as=268435456', '--nproc=64', '--']);
    expect(prlimitArgs({ ...limits, processes: undefined })).toEqual(['--as=268435456', '--']);
  });
});

describe('limitHit', () => {
  it('names the limit a command ran into, from what it printed', () => {
    expect(limitHit(['sh: 1: Cannot fork'], limits)).toMatch(/^it hit the preview's process limit \(64 /);
    expect(limitHit(['bash: fork: retry: Resource temporarily unavailable'], limits)).toMatch(
      /process limit/,
    );
    expect(limitHit(['awk: run time error: out of memory'], limits)).toMatch(
      /^it hit the preview's memory limit \(256Mi of address space per process/,
    );
    expect(limitHit(['FATAL ERROR: ... JavaScript heap out of memory'], limits)).toMatch(/memory limit/);
  });

  it('says nothing when no limit applied, or when the output shows none', () => {
    expect(limitHit(['sh: 1: Cannot fork'], undefined)).toBeUndefined();
    expect(limitHit(['sh: 1: Cannot fork'], { ...limits, processes: undefined })).toBeUndefined();
    expect(limitHit(['Error: listen EADDRINUSE'], limits)).toBeUndefined();
  });
});
