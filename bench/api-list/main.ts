import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { sql } from '../../src/db/drizzle-orm.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { createLogger } from '../../src/logger.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';

/**
 * `GET /api/v1/environments` latency: 10,000 environments across 50 repos of 10 teams, for a user in 5 of
 * the teams; first pages, deep pages (cursor) and filtered pages, over real HTTP. PostgreSQL from
 * BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database is created and dropped), and PGlite.
 */
const REQUESTS = 400;
const TARGET_P99_MS = 50;

async function seed(handle: DatabaseHandle): Promise<string> {
  const db = handle.db;
  await db.execute(
    sql`insert into teams (slug, name) select 'team-' || t, 'Team ' || t from generate_series(1, 10) t`,
  );
  await db.execute(sql`insert into users (github_login) values ('bench')`);
  await db.execute(sql`insert into team_memberships (team_id, user_id, role)
    select teams.id, users.id, 'member' from teams, users where teams.slug in ('team-1','team-2','team-3','team-4','team-5')`);
  await db.execute(sql`insert into repos (github_id, full_name, installation_id, team_id)
    select r, 'org-' || ((r - 1) / 5 + 1) || '/repo-' || r, 1, (select id from teams where slug = 'team-' || ((r - 1) / 5 + 1))
    from generate_series(1, 50) r`);
  await db.execute(sql`insert into environments (repo_id, pr_number, namespace, pr_title, branch, head_sha, phase, updated_at)
    select repos.id, n, 'pr-repo-' || repos.github_id || '-' || n, 'Change number ' || n, 'feature-' || n, md5(n::text) || 'abcdefgh',
      (array['running','running','running','failed','pending','deleted'])[1 + (n % 6)],
      now() - (random() * interval '30 days')
    from repos, generate_series(1, 200) n`);
  await db.execute(sql`analyze`);
  return (await createApiToken(db, { login: 'bench' })).token;
}

async function measure(label: string, handle: DatabaseHandle): Promise<boolean> {
  await migrateDatabase(handle);
  const token = await seed(handle);
  const app = createApp({
    config: loadConfig({ GLIMPSE_API_RATE_LIMIT: '0' }),
    logger: createLogger({ level: 'silent', pretty: false }),
    database: handle,
    webhookSecret: 'b'.repeat(32),
  });
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const headers = { authorization: `Bearer ${token}` };
  const get = async (path: string) => {
    const response = await fetch(`${url}/api/v1/environments${path}`, { headers });
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    return (await response.json()) as { items: unknown[]; nextCursor: string | null };
  };
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 40; page += 1) {
    const body: { nextCursor: string | null } = await get(`?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = body.nextCursor;
    if (cursor) cursors.push(cursor);
  }
  const paths = [
    () => '',
    () => `?cursor=${cursors[Math.floor(Math.random() * cursors.length)]}`,
    () => '?status=failed',
    () => '?repo=org-3/repo-12',
    () => '?q=number%2042',
  ];
  for (let i = 0; i < 50; i += 1) await get((paths[i % paths.length] as () => string)());
  const times: number[] = [];
  const byKind = new Map<number, number[]>();
  for (let i = 0; i < REQUESTS; i += 1) {
    const path = (paths[i % paths.length] as () => string)();
    const started = performance.now();
    await get(path);
    const ms = performance.now() - started;
    times.push(ms);
    byKind.set(i % paths.length, [...(byKind.get(i % paths.length) ?? []), ms]);
  }
  const kinds = ['first page', 'cursor page', 'status=failed', 'repo=', 'q='];
  const worst = [...byKind.entries()].map(([kind, list]) => `${kinds[kind]} ${Math.max(...list).toFixed(1)}`);
  console.log(`${label.padEnd(10)} slowest by kind (ms): ${worst.join(', ')}`);
  await app.close();
  times.sort((a, b) => a - b);
  const at = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(1);
  const p99 = Number(at(0.99));
  console.log(
    `${label.padEnd(10)} ${REQUESTS} requests  p50 ${at(0.5)} ms  p90 ${at(0.9)} ms  p99 ${at(0.99)} ms  max ${at(1)} ms  (target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'})`,
  );
  return p99 < TARGET_P99_MS;
}

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
console.log('GET /api/v1/environments: 10,000 environments, 50 repos, user in 5 of 10 teams');
let ok = true;
if (serverUrl) {
  const name = `glimpse_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(url.toString());
  try {
    ok = (await measure('postgres', handle)) && ok;
  } finally {
    await handle.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
} else {
  console.log('postgres   skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL');
}
const pglite = await openPglite(undefined);
try {
  await measure('pglite', pglite);
} finally {
  await pglite.close();
}
process.exitCode = ok ? 0 : 1;
