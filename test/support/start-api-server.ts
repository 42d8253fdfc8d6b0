import { type App, createApp } from '../../src/app.ts';
import { type Environment, loadConfig } from '../../src/config/config.ts';
import type { Database } from '../../src/db/database.ts';
import type { GithubApp } from '../../src/github/create-github-app.ts';
import type { GithubClient } from '../../src/github/github-client.ts';
import { createLogger } from '../../src/logger.ts';
import type { SecretBox } from '../../src/services/github-app/secret-box.ts';
import { type ApiFetch, createApiFetch } from './api-fetch.ts';
import { createFakeRuntime, type FakeRuntime } from './fake-runtime.ts';
import { createTestDatabase, type DatabaseTarget, type TestDatabase } from './test-database.ts';

export interface ApiServer {
  url: string;
  db: Database;
  database: TestDatabase;
  runtime: FakeRuntime;
  app: App;
  /** `fetch` that checks every `/api/v1` answer against the server's OpenAPI document: use it for REST calls. */
  fetch: ApiFetch;
  close(): Promise<void>;
}

/** A listening Glimpse on a fresh database with a fake runtime: real HTTP, real migrations. */
export async function startApiServer(
  target: DatabaseTarget,
  options: {
    env?: Environment;
    github?: { app: GithubApp; client: GithubClient };
    sessionSecret?: string;
    /** Turns on the GitHub App manifest flow (with `sessionSecret`, for a signed-in administrator). */
    secretBox?: SecretBox;
    port?: number;
  } = {},
): Promise<ApiServer> {
  const database = await createTestDatabase(target);
  const runtime = createFakeRuntime();
  const app = createApp({
    config: loadConfig({ GLIMPSE_API_RATE_LIMIT: '0', ...options.env }),
    logger: createLogger({ level: 'silent', pretty: false }),
    database: database.handle,
    webhookSecret: 'w'.repeat(32),
    runtime,
    ...(options.github === undefined ? {} : { github: options.github }),
    ...(options.sessionSecret === undefined ? {} : { sessionSecret: options.sessionSecret }),
    ...(options.secretBox === undefined ? {} : { secretBox: options.secretBox }),
  });
  const url = await app.http.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  return {
    url,
    db: database.handle.db,
    database,
    runtime,
    app,
    fetch: createApiFetch(url),
    async close() {
      await app.close();
      await database.close();
    },
  };
}
