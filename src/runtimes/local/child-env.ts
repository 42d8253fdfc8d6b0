import type { GlimpseConfig } from '../../domain/glimpse-config.ts';

/**
 * The whole environment of a preview's install, build and start commands. Built from nothing:
 * PATH, HOME, a few facts about the preview, the repo's `env` and `local.env`, and the port.
 * Glimpse's own process.env (GitHub key, webhook secret, database URL) never reaches a preview.
 */
export function childEnvironment(options: {
  path: string;
  home: string;
  config: GlimpseConfig;
  commitSha: string;
  prNumber: number;
  port?: number;
}): Record<string, string> {
  const local = options.config.local;
  const env: Record<string, string> = {
    PATH: options.path,
    HOME: options.home,
    GLIMPSE_PREVIEW: 'true',
    GLIMPSE_COMMIT_SHA: options.commitSha,
    GLIMPSE_PR_NUMBER: String(options.prNumber),
    ...options.config.env,
    ...(local?.env ?? {}),
  };
  if (options.port !== undefined) env[local?.port_env ?? 'PORT'] = String(options.port);
  return env;
}
