/**
 * Glimpse as `glimpse serve` builds it on Kubernetes (controller, KubernetesRuntime, GitHub App, PostgreSQL), in
 * its own process so its memory can be measured alone, with the heap settings of `serve`. Differs from `serve`
 * only in GitHub write spacing (0, as the benchmark asks) and in not printing a banner. Configured through the
 * environment; prints `ready <port>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { boundServerHeapGrowth } from '../../src/cli/server-heap.ts';
import { loadConfig } from '../../src/config/config.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { createLogger } from '../../src/logger.ts';
import { composeGlimpse } from '../../src/main/compose-glimpse.ts';

boundServerHeapGrowth();
const config = loadConfig({
  ...process.env,
  GLIMPSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'glimpse-bench-')),
  GLIMPSE_RUNTIME: 'kubernetes',
});
const logger = createLogger({ level: config.logLevel, pretty: false });
const database = openPostgres(config.databaseUrl ?? '', { max: 20 });
await migrateDatabase(database);
if (config.github.app === undefined) throw new Error('GITHUB_APP_ID and GITHUB_PRIVATE_KEY are required');
const { app } = await composeGlimpse({
  config,
  logger,
  database,
  webhookSecret: config.github.webhookSecret ?? '',
  githubOptions: { minWriteIntervalMs: 0 },
});
const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
await app.start();
process.stdout.write(`ready ${new URL(url).port}\n`);
// Where the memory goes (heap, off-heap buffers), for the benchmark's report.
setInterval(() => process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`), 1_000).unref();
const stop = async () => {
  setTimeout(() => process.exit(1), 9_000).unref();
  await app.close();
  await database.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
