/**
 * Glimpse as `glimpse serve` builds it on Kubernetes (controller, KubernetesRuntime, GitHub App, PostgreSQL), in
 * its own process so its memory can be measured alone, with the heap settings of `serve`. Differs from `serve`
 * only in GitHub write spacing (0, as the benchmark asks) and in not printing a banner. Configured through the
 * environment; prints `ready <port>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.ts';
import { boundServerHeapGrowth } from '../../src/cli/server-heap.ts';
import { loadConfig } from '../../src/config/config.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { createGithubApp } from '../../src/github/create-github-app.ts';
import { createGithubClient } from '../../src/github/github-client.ts';
import { createLogger } from '../../src/logger.ts';
import { createRuntime } from '../../src/main/create-runtime.ts';

boundServerHeapGrowth();
const config = loadConfig({
  ...process.env,
  GLIMPSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'glimpse-bench-')),
  GLIMPSE_RUNTIME: 'kubernetes',
});
const logger = createLogger({ level: config.logLevel, pretty: false });
const database = openPostgres(config.databaseUrl ?? '', { max: 20 });
await migrateDatabase(database);
const credentials = config.github.app;
if (credentials === undefined) throw new Error('GITHUB_APP_ID and GITHUB_PRIVATE_KEY are required');
const githubApp = createGithubApp({
  ...credentials,
  apiUrl: config.github.apiUrl,
  logger,
  minWriteIntervalMs: 0,
});
const github = { app: githubApp, client: createGithubClient(githubApp) };
const runtime = await createRuntime(config, logger, { downloadSource: undefined, onPreviewFailed: () => {} });
const app = createApp({
  config,
  logger,
  database,
  webhookSecret: config.github.webhookSecret ?? '',
  runtime: runtime.runtime,
  github,
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
