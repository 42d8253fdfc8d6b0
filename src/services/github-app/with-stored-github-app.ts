import type { Config } from '../../config/config.ts';
import type { StoredGithubApp } from './github-app-store.ts';

/** Where each part of the GitHub App's credentials comes from: environment variables win over the stored App. */
export interface GithubAppSources {
  app: 'environment' | 'database' | 'none';
  webhookSecret: 'environment' | 'database' | 'data dir';
  oauth: 'environment' | 'database' | 'none';
}

/** The configuration with the stored App filling in what the environment leaves unset. */
export function withStoredGithubApp(
  config: Config,
  stored: StoredGithubApp | undefined,
): { config: Config; sources: GithubAppSources } {
  const github = config.github;
  const app =
    github.app ?? (stored === undefined ? undefined : { appId: stored.appId, privateKey: stored.privateKey });
  const webhookSecret = github.webhookSecret ?? stored?.webhookSecret ?? undefined;
  const oauth =
    github.oauth ??
    (stored === undefined ? undefined : { clientId: stored.clientId, clientSecret: stored.clientSecret });
  const sources: GithubAppSources = {
    app: github.app !== undefined ? 'environment' : stored !== undefined ? 'database' : 'none',
    webhookSecret:
      github.webhookSecret !== undefined ? 'environment' : stored?.webhookSecret ? 'database' : 'data dir',
    oauth: github.oauth !== undefined ? 'environment' : stored !== undefined ? 'database' : 'none',
  };
  const storedSecrets =
    stored === undefined
      ? []
      : [stored.privateKey, stored.clientSecret, stored.webhookSecret].filter((s): s is string => Boolean(s));
  return {
    config: {
      ...config,
      github: { ...github, app, webhookSecret, oauth },
      secrets: [...config.secrets, ...storedSecrets],
    },
    sources,
  };
}
