import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import {
  createGithubApp,
  type GithubApp,
  type GithubAppOptions,
} from '../../src/github/create-github-app.ts';
import { createGithubClient, type GithubClient, type RepoRef } from '../../src/github/github-client.ts';
import { createGitRepo, type GitRepoFixture } from './create-git-repo.ts';
import { type GithubSimulator, startGithubSimulator } from './github-sim/start-github-simulator.ts';

export interface GithubFixture {
  sim: GithubSimulator;
  git: GitRepoFixture;
  github: GithubClient;
  /** The App behind `github` (installation tokens), for code that wants both. */
  app: GithubApp;
  repo: RepoRef;
  fullName: string;
  close(): Promise<void>;
}

export const INSTALLATION_ID = 31337;

/**
 * A simulator serving one real git repo (acme/web) and the product's real GitHub client pointed at it,
 * with fast 5xx backoff and no write spacing so tests stay quick.
 */
export async function startGithubFixture(
  options: { now?: () => number; app?: Partial<GithubAppOptions>; files?: Record<string, string> } = {},
): Promise<GithubFixture> {
  const git = createGitRepo(options.files ?? { '.glimpse.yml': 'port: 3000\n', 'README.md': '# web\n' });
  const sim = await startGithubSimulator(options.now ? { now: options.now } : {});
  const fullName = 'acme/web';
  await sim.addRepo({ fullName, gitDir: git.dir, installationId: INSTALLATION_ID });
  const app = createGithubApp({
    appId: sim.appId,
    privateKey: sim.privateKey,
    apiUrl: sim.url,
    logger: pino({ level: 'silent' }),
    retryBaseMs: 20,
    minWriteIntervalMs: 0,
    ...(options.now ? { now: options.now } : {}),
    ...options.app,
  });
  return {
    sim,
    git,
    github: createGithubClient(app),
    app,
    repo: { installationId: INSTALLATION_ID, owner: 'acme', repo: 'web' },
    fullName,
    async close() {
      await sim.close();
      git.remove();
    },
  };
}

export const TOKEN_ROUTE = 'POST /app/installations/{installation_id}/access_tokens';

/** A fresh fixture for every test of the suite, checked clean and closed after it. */
export function useGithubFixture(): () => GithubFixture {
  let fixture: GithubFixture | undefined;
  beforeEach(async () => {
    fixture = await startGithubFixture();
  });
  afterEach(async () => {
    fixture?.sim.assertClean();
    await fixture?.close();
  });
  return () => {
    if (fixture === undefined) throw new Error('useGithubFixture: no test is running');
    return fixture;
  };
}
