import type { Command } from 'commander';
import type { App } from '../../app.ts';
import { type Config, loadConfig } from '../../config/config.ts';
import { openServerDatabase } from '../../db/connect-database.ts';
import { ensureDataDir } from '../../db/data-dir.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { InvalidInput } from '../../domain/errors.ts';
import { resolveWebhookSecret, type WebhookSecret } from '../../github/webhook-secret.ts';
import { resolveSessionSecret } from '../../http/session-secret.ts';
import { createLogger } from '../../logger.ts';
import { composeGlimpse } from '../../main/compose-glimpse.ts';
import { ensureBootstrapAdmin } from '../../services/bootstrap-admin.ts';
import { loadGithubApp } from '../../services/github-app/github-app-store.ts';
import { createSecretBox } from '../../services/github-app/secret-box.ts';
import { resolveSecretKey } from '../../services/github-app/secret-key.ts';
import {
  type GithubAppSources,
  withStoredGithubApp,
} from '../../services/github-app/with-stored-github-app.ts';
import { GLIMPSE_VERSION } from '../../version.ts';
import { renderBanner } from '../banner.ts';
import type { CliIo } from '../cli-io.ts';
import { boundServerHeapGrowth } from '../server-heap.ts';

const SHUTDOWN_GRACE_MS = 9_000;

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the Glimpse server (applies pending migrations first)')
    .action(() => serve(io));
}

async function serve(io: CliIo): Promise<void> {
  boundServerHeapGrowth();
  const environmentConfig = loadConfig(io.env, io.cwd);
  // Listen for signals from the very start, so a stop during startup is also clean.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const logger = createLogger({ level: environmentConfig.logLevel, pretty: process.stdout.isTTY === true });
  await ensureDataDir(environmentConfig.dataDir);
  const database = await openServerDatabase(environmentConfig);
  let app: App | undefined;
  try {
    const { applied } = await migrateDatabase(database);
    if (applied > 0) logger.info({ applied }, 'database migrated');
    // The GitHub App connected with `glimpse github connect` fills in what no environment variable sets.
    const secretKey = await resolveSecretKey(environmentConfig);
    const secretBox = createSecretBox(secretKey.value);
    const stored = await loadGithubApp(database.db, secretBox);
    const { config, sources } = withStoredGithubApp(environmentConfig, stored);
    const webhookSecret = await resolveWebhookSecret(config);
    const sessionSecret = await resolveSessionSecret(config);
    const glimpse = await composeGlimpse({
      config,
      logger,
      database,
      webhookSecret: webhookSecret.value,
      secretBox,
      ...(sessionSecret === undefined ? {} : { sessionSecret }),
    });
    app = glimpse.app;
    const { runtime } = glimpse;
    app.redactor.remember(secretKey.value);
    const listenUrl = await listen(app, config);
    await app.start();
    // Only now: a first start that fails before this point (a port in use) must not use up the one-time token.
    const bootstrapToken = await ensureBootstrapAdmin(database.db);
    if (bootstrapToken !== undefined) app.redactor.remember(bootstrapToken);
    io.stdout(
      renderBanner({
        version: GLIMPSE_VERSION,
        listenUrl,
        publicUrl: config.publicUrl,
        database: database.description,
        cliSocket: database.socketPath,
        runtime: `${config.runtime}: ${runtime.description}`,
        dataDir: config.dataDir,
        bootstrapToken,
        notes: startupNotes(config, webhookSecret, sources),
        warnings: runtime.warnings,
      }),
    );
  } catch (error) {
    await app?.close();
    await database.close();
    throw error;
  }
  const signal = await stopRequested;
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long; exiting anyway');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  deadline.unref();
  await app.close();
  await database.close();
  clearTimeout(deadline);
  logger.info('stopped');
}

async function listen(app: App, config: Config): Promise<string> {
  try {
    return await app.http.listen({ host: config.host, port: config.port });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new InvalidInput(
        `${config.host}:${config.port} is already in use: stop what listens there, or set GLIMPSE_PORT to another port.`,
      );
    }
    throw error;
  }
}

function startupNotes(config: Config, secret: WebhookSecret, sources: GithubAppSources): string[] {
  const notes: string[] = [];
  notes.push(
    config.github.app === undefined
      ? 'GitHub App not configured (glimpse github connect, or GITHUB_APP_ID and GITHUB_PRIVATE_KEY): webhooks are recorded, PR feedback is off'
      : `GitHub App ${config.github.app.appId} via ${config.github.apiUrl}${sources.app === 'database' ? ' (connected with glimpse github connect)' : ''}`,
  );
  if (secret.source !== 'GITHUB_WEBHOOK_SECRET') {
    notes.push(
      `webhook secret ${secret.source.generated ? 'generated into' : 'read from'} ${secret.source.file} ` +
        "(set it as the App's webhook secret, or set GITHUB_WEBHOOK_SECRET)",
    );
  }
  return notes;
}
