/**
 * How fast Glimpse takes in GitHub webhook deliveries, on PGlite and on PostgreSQL, next to a baseline
 * node:http server that only checks the signature. `node bench/webhook-ingest/main.ts`.
 *
 * Each target runs in its own process and gets the same pre-signed `pull_request` `synchronize` deliveries
 * (distinct ids, 200 PRs of one connected repo): a warm-up, a fixed rate (open loop), then full speed at a
 * fixed concurrency. Afterwards the database must hold every delivery answered with a 2xx, once.
 */
import { TEST_WEBHOOK_SECRET } from '../../test/support/webhook-server.ts';
import { installationDelivery, synchronizeDeliveries } from './deliveries.ts';
import { summarizeLatencies } from './latency-stats.ts';
import { type PhaseResult, postOnce, runFixedRate, runFullSpeed } from './load.ts';
import type { TargetName } from './target-process.ts';
import { postgresUnreachable, type RunningTarget, startTarget } from './targets.ts';

const PRS = 200;
const RATE = 500;
const RATE_SECONDS = 10;
const CONCURRENCY = 64;
const FULL_SPEED_SECONDS = 5;
const WARM_UP = 400;
/** Glimpse must not see a delivery twice, so full speed stops early if it gets through all of these. */
const FULL_SPEED_DELIVERIES = 20_000;
const TARGET_P99_MS = 25;
const TARGET_SHARE_OF_BASELINE = 0.25;

interface Row {
  target: TargetName;
  mode: string;
  result: PhaseResult;
}

const secret = TEST_WEBHOOK_SECRET;
const install = installationDelivery(secret);
const warmUp = synchronizeDeliveries(secret, { from: 0, count: WARM_UP, prs: PRS });
const fixedRate = synchronizeDeliveries(secret, { from: WARM_UP, count: RATE * RATE_SECONDS, prs: PRS });
const fullSpeed = synchronizeDeliveries(secret, {
  from: WARM_UP + RATE * RATE_SECONDS,
  count: FULL_SPEED_DELIVERIES,
  prs: PRS,
});

/** `main.ts postgres` measures only the baseline and PostgreSQL (handy with BENCH_PROFILE). */
const wanted = process.argv.slice(2);
const targets = (['baseline', 'pglite', 'postgres'] as const).filter(
  (name) => wanted.length === 0 || name === 'baseline' || wanted.includes(name),
);
const unreachable = targets.includes('postgres') ? await postgresUnreachable() : undefined;
if (unreachable !== undefined) {
  console.log(`PostgreSQL skipped: not reachable (${unreachable}).`);
  targets.splice(targets.indexOf('postgres'), 1);
}

const rows: Row[] = [];
let integrityFailed = false;
for (const name of targets) {
  const target = await startTarget(name);
  try {
    const phases = await load(target);
    rows.push(...phases.measured);
    if (name !== 'baseline')
      integrityFailed ||= !(await checkIntegrity(target, [
        phases.warm,
        ...phases.measured.map((row) => row.result),
      ]));
  } finally {
    await target.stop();
  }
}
printTable(rows);
printTargets(rows);
process.exit(integrityFailed ? 1 : 0);

async function load(target: RunningTarget): Promise<{ warm: PhaseResult; measured: Row[] }> {
  if (target.name !== 'baseline') {
    const status = await postOnce(target.port, install);
    if (status !== 200) throw new Error(`connecting the repository answered ${status}, expected 200`);
  }
  const warm = await runFullSpeed(target.port, warmUp, { concurrency: 16, seconds: 60, reuse: false });
  if (warm.errors > 0) throw new Error(`warm-up failed on ${target.name}: ${warm.errorSamples.join('; ')}`);
  const fixed = await withServerCpu(target, () => runFixedRate(target.port, fixedRate, { rate: RATE }));
  const full = await withServerCpu(target, () =>
    runFullSpeed(target.port, fullSpeed, {
      concurrency: CONCURRENCY,
      seconds: FULL_SPEED_SECONDS,
      reuse: target.name === 'baseline',
    }),
  );
  if (full.sent === fullSpeed.length && target.name !== 'baseline')
    console.log(`${target.name}: full speed used all ${fullSpeed.length} pre-signed deliveries early.`);
  return {
    warm,
    measured: [
      { target: target.name, mode: `${RATE}/s`, result: fixed },
      { target: target.name, mode: `c=${CONCURRENCY}`, result: full },
    ],
  };
}

/** Runs a phase and notes the CPU time the target process used meanwhile. */
async function withServerCpu(target: RunningTarget, phase: () => Promise<PhaseResult>): Promise<PhaseResult> {
  const before = await target.cpuMicros();
  const result = await phase();
  return { ...result, serverCpuMicros: (await target.cpuMicros()) - before };
}

/** Every 2xx delivery is recorded once, and the generations bumped match the deliveries that applied. */
async function checkIntegrity(target: RunningTarget, phases: PhaseResult[]): Promise<boolean> {
  const answered = new Set<string>();
  let accepted = 0;
  let errors = 0;
  for (const result of phases) {
    for (const id of result.okIds) answered.add(id);
    accepted += result.accepted;
    errors += result.errors;
  }
  const recorded = await target.recorded();
  const stored = new Set(recorded.pullRequestIds);
  const lost = [...answered].filter((id) => !stored.has(id)).length;
  const unanswered = recorded.pullRequestIds.filter((id) => !answered.has(id)).length;
  const doubled = recorded.generationSum !== recorded.applied || accepted > recorded.applied;
  const ok = lost === 0 && !doubled && (errors > 0 || (unanswered === 0 && accepted === recorded.applied));
  console.log(
    `${target.name} check: ${ok ? 'OK' : 'FAILED'}: ${answered.size} deliveries answered 2xx, ` +
      `${recorded.pullRequestIds.length} rows in webhook_deliveries (${lost} lost, ${unanswered} recorded ` +
      `without a 2xx); ${recorded.environments} environments, generations sum ${recorded.generationSum} = ` +
      `${recorded.applied} deliveries applied = ${accepted} answered 202.`,
  );
  return ok;
}

function printTable(rows: Row[]): void {
  const header = [
    'target',
    'mode',
    'sent',
    'ok',
    'errors',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'server cpu µs/req',
  ];
  const lines = rows.map(({ target, mode, result }) => {
    const latency = summarizeLatencies(result.latenciesMs);
    return [
      target,
      mode,
      String(result.sent),
      String(result.ok),
      String(result.errors),
      throughput(result).toFixed(0),
      latency.p50.toFixed(1),
      latency.p99.toFixed(1),
      latency.max.toFixed(1),
      (result.serverCpuMicros / result.sent).toFixed(0),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  for (const line of [header, ...lines]) {
    console.log(
      line
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  '),
    );
  }
  for (const { target, mode, result } of rows)
    if (result.errors > 0) console.log(`${target} ${mode} errors, e.g.: ${result.errorSamples.join('; ')}`);
}

function printTargets(rows: Row[]): void {
  const find = (target: TargetName, mode: string) =>
    rows.find((row) => row.target === target && row.mode === mode)?.result;
  const baseline = find('baseline', `c=${CONCURRENCY}`);
  for (const target of ['postgres', 'pglite'] as const) {
    const fixed = find(target, `${RATE}/s`);
    const full = find(target, `c=${CONCURRENCY}`);
    if (fixed === undefined || full === undefined || baseline === undefined) continue;
    const p99 = summarizeLatencies(fixed.latenciesMs).p99;
    const share = throughput(full) / throughput(baseline);
    const note = target === 'postgres' ? '' : ' (the targets are set for PostgreSQL; shown for reference)';
    console.log(
      `${target}${note}: p99 at ${RATE}/s ${p99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'}); ` +
        `full speed ${(share * 100).toFixed(0)}% of baseline (target >= ${TARGET_SHARE_OF_BASELINE * 100}%: ${share >= TARGET_SHARE_OF_BASELINE ? 'met' : 'MISSED'})`,
    );
  }
}

function throughput(result: PhaseResult): number {
  return result.ok / (result.elapsedMs / 1000);
}
