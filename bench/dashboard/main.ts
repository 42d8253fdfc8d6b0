import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { EnvironmentUpdates } from '../../src/controller/environment-updates.ts';
import { claimEnvironment } from '../../src/controller/leases.ts';
import { loadWorkItem } from '../../src/controller/work-item.ts';
import { eq, sql } from '../../src/db/drizzle-orm.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { environments } from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { launchBrowser } from '../../test/support/browser.ts';
import { buildDashboard, DIST_DIR } from '../../web/build-dashboard.ts';

/**
 * The dashboard with 10,000 environments (embedded PGlite): time until the previews list shows its first
 * page and until a preview page shows, in Chromium with a cold cache (a new profile each time); the
 * JavaScript shipped, gzipped; and the time from a phase change to its event in 100 open streams.
 */
const TARGET_PAGE_MS = 1_000;
const TARGET_JS_BYTES = 200 * 1024;
const TARGET_FANOUT_P99_MS = 500;
const STREAMS = 100;
const CHANGES = 20;
const RUNS = 5;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

await buildDashboard({ ifStale: true });
const jsBytes = readdirSync(path.join(DIST_DIR, 'assets'))
  .filter((name) => name.endsWith('.js'))
  .reduce((sum, name) => sum + gzipSync(readFileSync(path.join(DIST_DIR, 'assets', name))).length, 0);

const handle = await openPglite(undefined);
await migrateDatabase(handle);
const db = handle.db;
await db.execute(sql`insert into teams (slug, name) values ('acme', 'Acme')`);
await db.execute(sql`insert into users (github_login, is_admin) values ('bench', true)`);
await db.execute(sql`insert into repos (github_id, full_name, installation_id, team_id)
  select r, 'acme/repo-' || r, 1, (select id from teams) from generate_series(1, 50) r`);
await db.execute(sql`insert into environments (repo_id, pr_number, namespace, pr_title, branch, head_sha, phase, updated_at)
  select repos.id, n, 'pr-repo-' || repos.github_id || '-' || n, 'Change number ' || n, 'feature-' || n,
    md5(n::text) || 'abcdefgh', (array['running','running','failed','pending'])[1 + (n % 4)],
    now() - (random() * interval '30 days')
  from repos, generate_series(1, 200) n`);
await db.execute(sql`analyze`);
const token = (await createApiToken(db, { login: 'bench' })).token;
const app = createApp({
  config: loadConfig({ GLIMPSE_API_RATE_LIMIT: '0' }),
  logger: createLogger({ level: 'silent', pretty: false }),
  database: handle,
  webhookSecret: 'b'.repeat(32),
  sessionSecret: 's'.repeat(40),
});
const url = await app.http.listen({ host: '127.0.0.1', port: 0 });

async function timePage(pagePath: string, ready: string): Promise<number> {
  const browser = await launchBrowser();
  const context = browser.context;
  try {
    await context.request.post(`${url}/auth/token`, { data: { token } });
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`${url}${pagePath}`, { waitUntil: 'commit' });
    await page.locator(ready).first().waitFor();
    return performance.now() - started;
  } finally {
    await browser.close();
  }
}

const listTimes: number[] = [];
const previewTimes: number[] = [];
for (let run = 0; run < RUNS; run += 1) {
  listTimes.push(await timePage('/', 'table.previews tbody tr'));
  previewTimes.push(await timePage('/environments/pr-repo-7-42', 'h1 .phase'));
}

// Fan-out: 100 streams open, then phase changes as the controller makes them.
const streams = await Promise.all(
  Array.from({ length: STREAMS }, async () => {
    const response = await fetch(`${url}/api/v1/environment-changes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.body === null) throw new Error('no stream');
    return response.body.pipeThrough(new TextDecoderStream()).getReader();
  }),
);
const waitForText = async (reader: ReadableStreamDefaultReader<string>, text: string) => {
  let seen = '';
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    seen = (seen + value).slice(-20_000);
  }
  return performance.now();
};
await Promise.all(streams.map((reader) => waitForText(reader, 'event: ready')));
const updates = new EnvironmentUpdates(
  db,
  createLogger({ level: 'silent', pretty: false }),
  () => new Date(),
);
const [target] = await db
  .select({ id: environments.id })
  .from(environments)
  .where(eq(environments.namespace, 'pr-repo-3-9'));
const fanout: number[] = [];
// The controller changes a phase under its lease: hold one for the whole run.
const lease = await claimEnvironment(db, target?.id ?? '', 'bench', 600_000, sql`true`);
if (lease === undefined) throw new Error('environment already leased');
for (let change = 0; change < CHANGES; change += 1) {
  const item = await loadWorkItem(db, target?.id ?? '', lease);
  if (item === undefined) throw new Error('no environment');
  const [event, phase] =
    change % 2 === 0 ? (['start-deploy', 'building'] as const) : (['succeed', 'running'] as const);
  const marker = `"phase":"${phase}"`;
  const started = performance.now();
  const arrivals = Promise.all(streams.map((reader) => waitForText(reader, marker)));
  await updates.setPhase(item, event);
  for (const arrived of await arrivals) fanout.push(arrived - started);
}
for (const reader of streams) await reader.cancel();
await app.close();
await handle.close();

const ms = (value: number) => `${Math.round(value)} ms`;
const verdict = (ok: boolean) => (ok ? 'ok' : 'OVER TARGET');
console.log(`10,000 environments (PGlite), Chromium cold cache, ${RUNS} runs each (median / worst)`);
console.log(
  `  previews list first page  ${ms(percentile(listTimes, 50))} / ${ms(Math.max(...listTimes))}  (target < ${TARGET_PAGE_MS} ms: ${verdict(percentile(listTimes, 50) < TARGET_PAGE_MS)})`,
);
console.log(
  `  preview page              ${ms(percentile(previewTimes, 50))} / ${ms(Math.max(...previewTimes))}  (target < ${TARGET_PAGE_MS} ms: ${verdict(percentile(previewTimes, 50) < TARGET_PAGE_MS)})`,
);
console.log(
  `  JavaScript, gzip          ${(jsBytes / 1024).toFixed(1)} KB  (target <= 200 KB: ${verdict(jsBytes <= TARGET_JS_BYTES)})`,
);
console.log(
  `  phase change -> ${STREAMS} streams  p50 ${ms(percentile(fanout, 50))}, p99 ${ms(percentile(fanout, 99))}  (${CHANGES} changes; target p99 < ${TARGET_FANOUT_P99_MS} ms: ${verdict(percentile(fanout, 99) < TARGET_FANOUT_P99_MS)})`,
);
