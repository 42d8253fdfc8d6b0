import { type App, createApp } from '../app.ts';
import type { Config } from '../config/config.ts';
import type { ConfigSource } from '../controller/config-source.ts';
import { sourceDownloader } from '../controller/source-download.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { createGithubApp, type GithubAppOptions } from '../github/create-github-app.ts';
import { createGithubClient } from '../github/github-client.ts';
import type { Logger } from '../logger.ts';
import { GlimpseMetrics } from '../metrics/glimpse-metrics.ts';
import type { SecretBox } from '../services/github-app/secret-box.ts';
import { type CreatedRuntime, createRuntime } from './create-runtime.ts';

export interface GlimpseParts {
  /** The validated configuration, with a GitHub App stored in the database merged in. */
  config: Config;
  logger: Logger;
  /** Opened and migrated. */
  database: DatabaseHandle;
  webhookSecret: string;
  sessionSecret?: string;
  secretBox?: SecretBox;
  /** GitHub client tuning beyond the configuration (benchmarks write without spacing). */
  githubOptions?: Pick<GithubAppOptions, 'minWriteIntervalMs'>;
  /** Wraps how `.glimpse.yml` is read without a GitHub App (a benchmark notes when it is asked). */
  observeConfigSource?: (source: ConfigSource) => ConfigSource;
}

export interface Glimpse {
  app: App;
  runtime: CreatedRuntime;
}

/**
 * The composition root: builds the GitHub client, the runtime, the controller and the HTTP server from the
 * configuration, as `glimpse serve` and the benchmarks run Glimpse.
 */
export async function composeGlimpse(parts: GlimpseParts): Promise<Glimpse> {
  const { config, logger, database } = parts;
  // One registry that the GitHub client, the runtime and the app all report to, served at /metrics.
  const metrics = new GlimpseMetrics();
  const github = connectGithub(config, logger, { ...parts.githubOptions, metrics });
  let app: App | undefined;
  const runtime = await createRuntime(config, logger, {
    downloadSource: github === undefined ? undefined : sourceDownloader(database.db, github.client),
    // A preview that fails by itself reaches the controller, which tells the PR.
    onPreviewFailed: (failure) => void app?.controller?.recordPreviewFailure(failure),
    metrics,
  });
  const configSource =
    runtime.configSource === undefined
      ? undefined
      : (parts.observeConfigSource?.(runtime.configSource) ?? runtime.configSource);
  app = createApp({
    config,
    logger,
    database,
    webhookSecret: parts.webhookSecret,
    runtime: runtime.runtime,
    metrics,
    ...(parts.sessionSecret === undefined ? {} : { sessionSecret: parts.sessionSecret }),
    ...(parts.secretBox === undefined ? {} : { secretBox: parts.secretBox }),
    ...(github === undefined ? {} : { github }),
    ...(configSource === undefined ? {} : { fallbackConfigSource: configSource }),
  });
  return { app, runtime };
}

function connectGithub(
  config: Config,
  logger: Logger,
  options: Pick<GithubAppOptions, 'minWriteIntervalMs' | 'metrics'>,
) {
  const credentials = config.github.app;
  if (credentials === undefined) return undefined;
  const app = createGithubApp({ ...credentials, ...options, apiUrl: config.github.apiUrl, logger });
  return { app, client: createGithubClient(app) };
}
