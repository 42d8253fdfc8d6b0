import { describe, expect, it } from 'vitest';
import { describeChaos, runControllerChaos } from '../support/chaos/run-controller-chaos.ts';

const onPostgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== '';

// Replicas are separate `glimpse serve` processes: they can share PostgreSQL, but not PGlite (an embedded
// database lives in one process, and its data dir is locked by the server that opened it). Without
// TEST_DATABASE_URL this test is skipped; .ci/run sets it.
describe.runIf(onPostgres)('three Glimpse replicas on one PostgreSQL, killed at random', () => {
  // A failed run prints its seed: CHAOS_SEED=<seed> replays the same kills and PR actions.
  it('converge: every open PR running at its head, every closed one deleted, one comment each, takeovers within a lease + 5 s', {
    timeout: 240_000,
  }, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    const report = await runControllerChaos({
      replicas: 3,
      prs: 16,
      maxConcurrent: 3,
      leaseSeconds: 5,
      chaosMs: 50_000,
      killEveryMs: 7_000,
      actionEveryMs: 1_200,
      podStartMs: 1_500,
      settleMs: 60_000,
      seed,
      log: (line) => console.log(line),
    });
    const figures = describeChaos(report);
    console.log([`controller chaos (seed ${seed}):`, ...figures].join('\n  '));
    if (report.violations.length > 0) console.log(report.replicaOutput);
    expect(report.kills).toBeGreaterThanOrEqual(2);
    expect(report.takeovers.length).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  });
});
