import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRef } from '../../src/runtimes/runtime.ts';
import { createFakeRuntime } from '../support/fake-runtime.ts';
import { type GlimpseHarness, startGlimpseHarness } from '../support/glimpse-harness.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the periodic resync', () => {
  let harness: GlimpseHarness;
  let listings = 0;
  let release: (refs: EnvironmentRef[]) => void = () => {};
  const runtime = createFakeRuntime();
  // The first pass hangs in the runtime, as on a cluster that does not answer.
  runtime.listManaged = () => {
    listings++;
    return listings === 1
      ? new Promise<EnvironmentRef[]>((resolve) => {
          release = resolve;
        })
      : Promise.resolve([]);
  };

  beforeAll(async () => {
    harness = await startGlimpseHarness('pglite', { runtime, env: { GLIMPSE_RESYNC_SECONDS: '1' } });
  });
  afterAll(async () => {
    release([]);
    await harness.close();
  });

  it('skips its ticks while a pass is still running, then carries on', async () => {
    await waitFor(() => listings === 1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(listings).toBe(1);
    release([]);
    await waitFor(() => listings >= 2, 3_000);
  });
});
