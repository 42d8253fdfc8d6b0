import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/config.ts';
import { openClientDatabase } from '../../src/db/connect-database.ts';
import { auditEvents } from '../../src/db/schema.ts';
import { cli } from '../support/cli.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';

const BANNER = /listening\s+http:\/\/\S+/;
const EnvironmentList = z.object({ items: z.array(z.object({ id: z.string(), namespace: z.string() })) });

// Two embedded databases: the first server's, backed up while it runs; a fresh data dir it is restored into.
describe('glimpse backup and restore', () => {
  let work: string;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let world: PreviewWorld;
  let backupFile: string;
  let glimpse: GlimpseProcess | undefined;

  async function serve(env: Record<string, string>): Promise<string> {
    glimpse = startGlimpse(['serve'], env);
    await glimpse.waitForOutput(BANNER, 60_000);
    return `http://127.0.0.1:${env.GLIMPSE_PORT}`;
  }

  async function stop(): Promise<void> {
    glimpse?.kill('SIGTERM');
    await glimpse?.exited(30_000);
    glimpse = undefined;
  }

  async function environments(url: string): Promise<{ id: string; namespace: string }[]> {
    const response = await fetch(`${url}/api/v1/environments`, {
      headers: { authorization: `Bearer ${world.tokens.glimpseAdmin}` },
    });
    expect(response.status).toBe(200);
    return EnvironmentList.parse(await response.json())
      .items.map(({ id, namespace }) => ({ id, namespace }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace));
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glimpse-backup-'));
    backupFile = path.join(work, 'glimpse.backup');
    const common = { GLIMPSE_PROXY_PORT: '0', LOG_LEVEL: 'warn' };
    envA = { ...common, GLIMPSE_DATA_DIR: path.join(work, 'a'), GLIMPSE_PORT: String(await freePort()) };
    envB = { ...common, GLIMPSE_DATA_DIR: path.join(work, 'b'), GLIMPSE_PORT: String(await freePort()) };
  });

  afterAll(async () => {
    glimpse?.kill('SIGKILL');
    await glimpse?.exited().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('backs up the running server, restores into a new data dir, and that server serves the same previews', async () => {
    const urlA = await serve(envA);
    // Seed through the running server's socket, as any glimpse command reaches its database.
    const client = await openClientDatabase(loadConfig(envA));
    try {
      world = await seedPreviewWorld(client.db);
      await client.db.insert(auditEvents).values({ actor: 'test', action: 'seeded', outcome: 'ok' });
    } finally {
      await client.close();
    }
    const before = await environments(urlA);
    expect(before).toHaveLength(3);

    const backup = await cli(envA, 'backup', backupFile, '--json');
    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ file: backupFile, tables: expect.any(Number) });
    expect((await stat(backupFile)).mode & 0o777).toBe(0o600);
    await stop();

    const restore = await cli(envB, 'restore', backupFile);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^Restored \d+ rows from the backup of /);
    // Sequences continue after the restored rows.
    const restored = await openClientDatabase(loadConfig(envB));
    try {
      await restored.db.insert(auditEvents).values({ actor: 'test', action: 'after restore', outcome: 'ok' });
    } finally {
      await restored.close();
    }

    const urlB = await serve(envB);
    expect(await environments(urlB)).toEqual(before);
    await stop();
  }, 180_000);

  it('refuses to restore over data, into PostgreSQL, or from a file that is not a backup', async () => {
    const again = await cli(envB, 'restore', backupFile);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('The database is not empty');
    const postgres = await cli(
      { ...envB, DATABASE_URL: 'postgres://glimpse@127.0.0.1:1/none' },
      'restore',
      backupFile,
    );
    expect(postgres.exitCode).toBe(1);
    expect(postgres.stderr).toContain('use pg_restore');
    const notBackup = path.join(work, 'not-a-backup');
    await writeFile(notBackup, 'hello');
    const bad = await cli({ ...envB, GLIMPSE_DATA_DIR: path.join(work, 'c') }, 'restore', notBackup);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('is not a Glimpse backup');
  });
});
