import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';

const config = loadConfig({});
const logger = createLogger({ level: 'silent', pretty: false });

const appOver = (database: TestDatabase) =>
  createApp({ config, logger, database: database.handle, webhookSecret: 'a-test-webhook-secret' });

describe.each(databaseTargets())('readiness and shutdown on %s', (target) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('is not ready until the migrations are applied', async () => {
    database = await createTestDatabase(target, { migrate: false });
    const app = appOver(database);
    const response = await app.http.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/migration\(s\) not applied/),
    });
    await app.close();
  });

  it('is not ready when the database does not answer', async () => {
    database = await createTestDatabase(target);
    const app = appOver(database);
    expect((await app.http.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await database.handle.close();
    const response = await app.http.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('database not reachable'),
    });
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
    database = undefined;
  });

  it('finishes a request in flight when it is closed, and refuses new connections', async () => {
    database = await createTestDatabase(target);
    const app = appOver(database);
    let release = () => {};
    app.http.get('/slow', async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { done: true };
    });
    const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closed;
  });
});
