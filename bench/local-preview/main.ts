/**
 * A local preview end to end, and the proxy in front of it. `node bench/local-preview/main.ts
 * [seconds per round] [connections] [rounds]`.
 *
 * 1. Time to first 2xx: Glimpse as it really runs without a GitHub App (its own process, embedded database,
 *    local runtime with production timings), a dependency-free app repo connected with a signed
 *    `installation_repositories` delivery; from posting a signed `pull_request` `opened` delivery to the
 *    first 2xx through the proxy, for several PR numbers, with when each step happened.
 * 2. Proxy throughput: the app (a dependency-free node app in the sandbox Glimpse picks here, as a preview
 *    runs), the proxy and the load generator (wrk when installed, else this process) each in a process of its
 *    own, pinned to CPUs so that rounds compare (`cpu-layout.ts`); the same closed loop straight to the app,
 *    through the proxy, and through a byte relay that parses nothing (`relay-process.ts`, the baseline of the
 *    hop itself), and through nginx when it is installed (one worker, upstream keep-alive: a production proxy
 *    as a second baseline), in rounds that rotate which path goes first. Once with an app that answers at
 *    once, once with one that works ~200 µs per request (closer to a real app); then the same connections at a
 *    fixed rate every path keeps up with, for the latency the hop adds.
 *    `BENCH_PROFILE=<dir>` writes the proxy's CPU profile there.
 * 3. Many previews at once, the README's setup: `glimpse serve` (its own process, default settings) on a
 *    fresh data dir, 30 pull requests opened together; the time until all serve, the server's resident
 *    memory idle and at its peak, and its fresh and repeated start times; on the embedded database and on
 *    PostgreSQL (TEST_DATABASE_URL's server, a scratch database) in the same run.
 * `BENCH_LOCAL=first,throughput,many` picks the parts (default: all).
 */

import { existsSync } from 'node:fs';
import { pgdataTemplateDir } from '../../src/db/create-pgdata.ts';
import { POSTGRES_URL, postgresUnreachable } from '../webhook-ingest/targets.ts';
import { type FirstResponse, measureFirstResponses } from './first-response.ts';
import {
  type ManyPreviewsResult,
  measureManyPreviews,
  measureManyPreviewsOnPostgres,
} from './many-previews.ts';
import { median } from './median.ts';
import { printTable } from './print-table.ts';
import { measureProxyThroughput, medianRound, type PathRound } from './proxy-throughput.ts';

const PRS = [1, 2, 3, 4, 5];
const TARGET_FIRST_2XX_MS = 2_000;
const TARGET_RATIO = 0.7;
const TARGET_ADDED_P99_MS = 2;
/** Glimpse's proxy against nginx in front of the same app (issue 18). */
const TARGET_NGINX_RATIO = 0.8;
const APP_WORK_US = [0, 200];
/** The open-loop rate, well below what the proxy sustains in front of the slower app on this machine. */
const FIXED_RATE = 500;

const MANY_PRS = 30;
const TARGET_IDLE_MB = 200;
const TARGET_OPENING_MB = 300;
const TARGET_FRESH_START_MS = 3_000;

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 5);
const parts = new Set((process.env.BENCH_LOCAL ?? 'first,throughput,many').split(','));

if (parts.has('first')) {
  console.log(
    `Time to first 2xx through the proxy, ms after posting pull_request opened (${PRS.length} PRs)`,
  );
  printFirstResponses(await measureFirstResponses(PRS));
}
if (parts.has('throughput')) await measureThroughput();
if (parts.has('many')) await measureMany();
process.exit(0);

async function measureMany(): Promise<void> {
  console.log(
    `\nMany previews at once: glimpse serve on a fresh data dir, ${MANY_PRS} pull requests opened together`,
  );
  const template = existsSync(pgdataTemplateDir())
    ? 'copied from the prepared template'
    : 'initialised by this run (it also prepares the template)';
  console.log(`The embedded database of the fresh start is ${template}.`);
  const results: ManyPreviewsResult[] = [await measureManyPreviews(MANY_PRS)];
  process.env.TEST_DATABASE_URL ??= POSTGRES_URL;
  const unreachable = await postgresUnreachable();
  if (unreachable === undefined) results.push(await measureManyPreviewsOnPostgres(MANY_PRS));
  else console.log(`PostgreSQL not reachable (${unreachable}): only the embedded database measured.`);
  printTable(
    [
      'database',
      'fresh start s',
      'restart s',
      'idle RSS MB',
      `all ${MANY_PRS} serving s`,
      'peak RSS MB while opening',
      'VmHWM MB',
    ],
    results.map((r) => [
      r.database,
      (r.freshStartMs / 1000).toFixed(1),
      (r.restartMs / 1000).toFixed(1),
      r.idleRssMb.toFixed(0),
      (r.allServingMs / 1000).toFixed(1),
      r.openingPeakRssMb.toFixed(0),
      r.highWaterMb.toFixed(0),
    ]),
  );
  const embedded = results[0];
  if (embedded === undefined) return;
  const postgres = results[1];
  console.log(
    `embedded: idle ${embedded.idleRssMb.toFixed(0)} MB (target < ${TARGET_IDLE_MB}: ${met(embedded.idleRssMb < TARGET_IDLE_MB)}), ` +
      `peak while opening ${embedded.openingPeakRssMb.toFixed(0)} MB (target < ${TARGET_OPENING_MB}: ${met(embedded.openingPeakRssMb < TARGET_OPENING_MB)}), ` +
      `fresh start ${(embedded.freshStartMs / 1000).toFixed(1)} s (target < ${TARGET_FRESH_START_MS / 1000}: ${met(embedded.freshStartMs < TARGET_FRESH_START_MS)})` +
      (postgres === undefined
        ? ''
        : `, all serving in ${(embedded.allServingMs / postgres.allServingMs).toFixed(2)}× PostgreSQL's time`),
  );
}

async function measureThroughput(): Promise<void> {
  console.log(
    `\nProxy throughput: ${connections} keep-alive connections, ${rounds} rounds of ${seconds} s per path, ` +
      `rotating which goes first; closed loop (as fast as answered), then open loop at ${FIXED_RATE} req/s; medians`,
  );
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const appWorkUs of APP_WORK_US) {
    const result = await measureProxyThroughput({
      appWorkUs,
      connections,
      seconds,
      rounds,
      fixedRate: FIXED_RATE,
    });
    if (appWorkUs === APP_WORK_US[0]) {
      console.log(
        `Load: ${result.setup.loadGenerator}; ${result.setup.cpus}.\nThe app runs in the sandbox of ${result.setup.sandbox}; it is scheduled ${result.setup.scheduling}.`,
      );
    }
    const direct = medianRound(result.direct);
    const proxied = medianRound(result.proxied);
    const relayed = medianRound(result.relayed);
    const nginx = result.nginx.length === 0 ? undefined : medianRound(result.nginx);
    rows.push(
      throughputRow(appWorkUs, 'direct', direct),
      throughputRow(appWorkUs, 'proxied', proxied),
      throughputRow(appWorkUs, 'relay', relayed),
      ...(nginx === undefined ? [] : [throughputRow(appWorkUs, 'nginx', nginx)]),
    );
    const ratio = proxied.requestsPerSecond / direct.requestsPerSecond;
    const addedP99 = proxied.p99 - direct.p99;
    const addedFixedP99 = proxied.fixedP99 - direct.fixedP99;
    const p99Verdict = (added: number) =>
      `${added.toFixed(2)} ms (target < ${TARGET_ADDED_P99_MS} ms: ${met(added < TARGET_ADDED_P99_MS)})`;
    const perRound = (paths: PathRound[], baseline: PathRound[]) =>
      paths.map((round, i) =>
        (round.requestsPerSecond / (baseline[i]?.requestsPerSecond ?? Number.NaN)).toFixed(2),
      );
    verdicts.push(
      `app work ${appWorkUs} µs: proxied/direct ${ratio.toFixed(2)} (target >= ${TARGET_RATIO.toFixed(2)}: ${met(ratio >= TARGET_RATIO)}), ` +
        `added p99 ${p99Verdict(addedP99)} closed loop, ${p99Verdict(addedFixedP99)} at ${FIXED_RATE} req/s` +
        `; ratio per round ${perRound(result.proxied, result.direct).join(' ')}` +
        `\n  baseline, a byte relay that parses nothing: relay/direct ${(relayed.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}, ` +
        `proxied/relay ${(proxied.requestsPerSecond / relayed.requestsPerSecond).toFixed(2)} (per round ${perRound(result.proxied, result.relayed).join(' ')})` +
        (nginx === undefined
          ? '\n  nginx: not installed (Debian: apt-get install nginx-light), no nginx baseline'
          : `\n  baseline, nginx (one worker, upstream keep-alive): nginx/direct ${(nginx.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}, ` +
            `proxied/nginx ${(proxied.requestsPerSecond / nginx.requestsPerSecond).toFixed(2)} (target >= ${TARGET_NGINX_RATIO.toFixed(2)}: ${met(proxied.requestsPerSecond / nginx.requestsPerSecond >= TARGET_NGINX_RATIO)}; per round ${perRound(result.proxied, result.nginx).join(' ')}), ` +
            `added p99 over nginx ${(proxied.p99 - nginx.p99).toFixed(2)} ms closed loop, ${(proxied.fixedP99 - nginx.fixedP99).toFixed(2)} ms at ${FIXED_RATE} req/s`),
    );
  }
  printTable(
    [
      'app work',
      'path',
      'req/s',
      'p50 ms',
      'p99 ms',
      `p50 ms @${FIXED_RATE}/s`,
      `p99 ms @${FIXED_RATE}/s`,
      'errors',
      'app cpu µs/req',
      'proxy/relay/nginx cpu µs/req',
    ],
    rows,
    2,
  );
  for (const verdict of verdicts) console.log(verdict);
}

function printFirstResponses(results: FirstResponse[]): void {
  const steps = ['webhookAnswered', 'claimed', 'configRead', 'worktreeReady', 'healthy', 'first2xx'] as const;
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  const rows = results.map((result) => [
    String(result.pr),
    ...steps.map((step) => ms(result[step])),
    Object.entries(result.earlierAnswers)
      .map(([status, count]) => `${status} ×${count}`)
      .join(', '),
  ]);
  const medians = steps.map((step) => {
    const values = results.map((result) => result[step]).filter((value) => value !== undefined);
    return ms(values.length === 0 ? undefined : median(values));
  });
  rows.push(['median', ...medians, '']);
  printTable(
    [
      'PR',
      'webhook answered',
      'claimed',
      'config read',
      'worktree ready',
      'healthy',
      'first 2xx',
      'proxy answered before',
    ],
    rows,
  );
  const first2xx = median(results.map((result) => result.first2xx));
  console.log(
    `median first 2xx ${first2xx.toFixed(0)} ms (target < ${TARGET_FIRST_2XX_MS} ms: ${met(first2xx < TARGET_FIRST_2XX_MS)}); ` +
      'PR 1 also clones the repo into the source cache. Steps: claimed = the controller asked for .glimpse.yml, ' +
      'config read = it had it (git fetch), worktree ready = checked out, healthy = the app answered its health ' +
      'path (probed from 20 ms apart, doubling up to 250 ms) and the proxy routes to it.',
  );
}

function throughputRow(appWorkUs: number, path: string, round: PathRound): string[] {
  return [
    `${appWorkUs} µs`,
    path,
    round.requestsPerSecond.toFixed(0),
    round.p50.toFixed(2),
    round.p99.toFixed(2),
    round.fixedP50.toFixed(2),
    round.fixedP99.toFixed(2),
    String(round.errors),
    round.appCpuUs.toFixed(0),
    path === 'direct' ? '-' : round.hopCpuUs.toFixed(0),
  ];
}

function met(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}
