import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';

export type DatabaseTarget = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (as .ci/run does). */
export function databaseTargets(): DatabaseTarget[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

/** A new, empty PostgreSQL database for one test file; returns its URL and a function that drops it. */
export async function createScratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `glimpse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Set for PostgreSQL targets: lets a test open more connections or start a server on it. */
  url: string | undefined;
  close(): Promise<void>;
}

/** A fresh database of the given kind with the real migrations applied (unless `migrate: false`). */
export async function createTestDatabase(
  target: DatabaseTarget,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (target === 'pglite') {
    const handle = await openPglite(undefined);
    if (options.migrate !== false) await migrateDatabase(handle);
    return { handle, url: undefined, close: () => handle.close() };
  }
  const scratch = await createScratchPostgres();
  const handle = openPostgres(scratch.url);
  if (options.migrate !== false) await migrateDatabase(handle);
  return {
    handle,
    url: scratch.url,
    async close() {
      await handle.close();
      await scratch.drop();
    },
  };
}
