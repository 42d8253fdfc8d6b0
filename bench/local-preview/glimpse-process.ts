/**
 * Glimpse as `serve` runs it without a GitHub App, in its own process: the embedded database (a fresh
 * in-memory PGlite with the real migrations), the local runtime on the data dir `argv[2]` with its
 * production timings, `.glimpse.yml` read through the runtime's git cache, file:// clone URLs allowed.
 * Tells the parent its ports, answers `timeline` with when each step of a preview happened, and exits
 * on `stop` (stopping the previews it started).
 */

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { ensureDataDir } from '../../src/db/data-dir.ts';
import { composeGlimpse } from '../../src/main/compose-glimpse.ts';
import { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { createTestDatabase } from '../../test/support/test-database.ts';
import { BENCH_WEBHOOK_SECRET } from './bench-webhook-secret.ts';

/** Epoch milliseconds at which each step was seen for one preview (absent: not seen yet). */
export interface PreviewTimeline {
  /** The controller claimed the environment and asked for its `.glimpse.yml`. */
  claimed?: number;
  configRead?: number;
  /** The runtime started the deployment, and had the worktree checked out ('preview deploying'). */
  building?: number;
  worktreeReady?: number;
  /** The app answered its health path and the proxy routes to it ('preview running'). */
  healthy?: number;
  /** The controller recorded the environment as running. */
  phaseRunning?: number;
}

export type ParentMessage = { type: 'timeline'; namespace: string } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; webhookPort: number; proxyPort: number }
  | { type: 'timeline'; namespace: string; timeline: PreviewTimeline };

const timelines = new Map<string, PreviewTimeline>();
const timelineOf = (namespace: string): PreviewTimeline => {
  let timeline = timelines.get(namespace);
  if (timeline === undefined) {
    timeline = {};
    timelines.set(namespace, timeline);
  }
  return timeline;
};

/** The steps, read from Glimpse's own log lines as they are written (at the production level, info). */
const LOG_STEPS: Record<string, keyof PreviewTimeline> = {
  'preview building': 'building',
  'preview deploying': 'worktreeReady',
  'preview running': 'healthy',
};
const logSink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of String(chunk).split('\n')) {
      if (line.length === 0) continue;
      const entry = JSON.parse(line) as { msg?: string; time?: number; environment?: string; phase?: string };
      if (entry.environment === undefined || entry.time === undefined) continue;
      const step =
        entry.msg === 'environment phase changed' && entry.phase === 'running'
          ? 'phaseRunning'
          : LOG_STEPS[entry.msg ?? ''];
      if (step !== undefined) timelineOf(entry.environment)[step] ??= entry.time;
    }
    callback();
  },
});

const config = loadConfig({
  GLIMPSE_DATA_DIR: process.argv[2] ?? '',
  GLIMPSE_PROXY_PORT: '0',
  GLIMPSE_ALLOW_FILE_REPOS: '1',
  GITHUB_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
});
const logger = pino({ level: 'info' }, logSink);
await ensureDataDir(config.dataDir);
const database = await createTestDatabase('pglite');
// Built as `glimpse serve` builds it (the data dir first: previews' uids are kept out of it); `.glimpse.yml` is read through the runtime's git cache, noting when.
const { app, runtime: created } = await composeGlimpse({
  config,
  logger,
  database: database.handle,
  webhookSecret: BENCH_WEBHOOK_SECRET,
  observeConfigSource: (source) => ({
    async read(item, ref) {
      const timeline = timelineOf(item.env.namespace);
      timeline.claimed ??= Date.now();
      const text = await source.read(item, ref);
      timeline.configRead ??= Date.now();
      return text;
    },
  }),
});
const runtime = created.runtime;
if (!(runtime instanceof LocalRuntime)) throw new Error('the benchmark runs the local runtime');
const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
await app.start();

const stop = async (code: number) => {
  await app.close();
  await database.close();
  process.exit(code);
};
const send = (message: ChildMessage) => process.send?.(message);
process.on('message', (message: ParentMessage) => {
  if (message.type === 'timeline')
    send({ type: 'timeline', namespace: message.namespace, timeline: timelineOf(message.namespace) });
  else if (message.type === 'stop') void stop(0);
});
// Without the parent nobody will stop the previews, so stop them here.
process.on('disconnect', () => void stop(1));
send({ type: 'ready', webhookPort: Number(new URL(url).port), proxyPort: runtime.proxyPort });
