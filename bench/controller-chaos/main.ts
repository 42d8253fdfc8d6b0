/**
 * Issue 20's soak: the controller chaos of test/controller/controller-chaos.test.ts, longer and bigger.
 * `npm run bench -- controller-chaos`.
 *
 * Replicas of `glimpse serve` (PostgreSQL in a scratch database) against the Kubernetes simulator (slow
 * pods) and the GitHub simulator: BENCH_PRS PRs opened at once (more than all deploy slots), pushes and
 * closes while deploys run, and a random replica SIGKILLed about every BENCH_KILL_EVERY_SECONDS and started
 * again, for BENCH_DURATION_MINUTES. Prints takeover latency (kill until another replica holds the
 * environment) p50/p99 and every invariant violation; the target is 0 violations and every takeover within
 * the lease + 5 s. Defaults: 30 minutes, 500 PRs, a kill a minute, 3 replicas, GLIMPSE_LEASE_SECONDS=10,
 * 10 deploy slots each. BENCH_SEED repeats a run's random choices.
 */
import { describeChaos, runControllerChaos } from '../../test/support/chaos/run-controller-chaos.ts';
import { POSTGRES_URL, postgresUnreachable } from '../webhook-ingest/targets.ts';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got ${JSON.stringify(process.env[name])}`);
    process.exit(2);
  }
  return value;
};
const minutes = number('BENCH_DURATION_MINUTES', 30);
const prs = number('BENCH_PRS', 500);
const killEverySeconds = number('BENCH_KILL_EVERY_SECONDS', 60);
const leaseSeconds = number('BENCH_LEASE_SECONDS', 10);
const seed = number('BENCH_SEED', (Date.now() % 1_000_000) + 1);

process.env.TEST_DATABASE_URL ??= POSTGRES_URL;
const unreachable = await postgresUnreachable();
if (unreachable !== undefined) {
  console.log(`PostgreSQL not reachable (${unreachable}): controller-chaos needs it.`);
  process.exit(1);
}

const started = Date.now();
const report = await runControllerChaos({
  replicas: 3,
  prs,
  maxConcurrent: 10,
  leaseSeconds,
  chaosMs: minutes * 60_000,
  killEveryMs: killEverySeconds * 1_000,
  // A push or close every 1.5 s keeps the replicas about two-thirds busy: each deploy costs three GitHub
  // writes, and `serve` spaces a process's writes 1 s apart.
  actionEveryMs: 1_500,
  podStartMs: 2_000,
  settleMs: Math.max(120_000, prs * 1_000),
  seed,
  log: (line) => console.log(line),
});
console.log(
  [
    `controller-chaos: ${minutes} min, ${prs} PRs, a kill every ~${killEverySeconds} s, lease ${leaseSeconds} s, seed ${seed}`,
    ...describeChaos(report),
    `took ${Math.round((Date.now() - started) / 1000)} s`,
  ].join('\n  '),
);
if (report.violations.length > 0) console.log(report.replicaOutput);
process.exit(report.violations.length === 0 ? 0 : 1);
