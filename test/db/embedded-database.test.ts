import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgdata, pgdataTemplateDir } from '../../src/db/create-pgdata.ts';
import {
  DataDirUnusable,
  EMBEDDED_POSTGRES_MAJOR,
  embeddedDatabaseDir,
  prepareDataDir,
} from '../../src/db/data-dir.ts';
import { DataDirInUse, liveDataDirOwner, lockDataDir } from '../../src/db/data-dir-lock.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { createTeam, listTeams } from '../../src/services/teams.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-data-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the embedded database', () => {
  it('keeps its data in the data dir across a restart', async () => {
    await prepareDataDir(dataDir);
    const first = await openPglite(embeddedDatabaseDir(dataDir));
    await migrateDatabase(first);
    await createTeam(first.db, { slug: 'acme', name: 'Acme' });
    await first.close();

    const second = await openPglite(embeddedDatabaseDir(dataDir));
    expect(await migrateDatabase(second)).toEqual({ applied: 0 });
    expect((await listTeams(second.db)).map((t) => t.slug)).toEqual(['acme']);
    await second.close();
  });

  it('starts a new data dir from the prepared template, initialised outside this process', async () => {
    const pgdata = embeddedDatabaseDir(dataDir);
    await createPgdata(pgdata);
    const template = pgdataTemplateDir();
    expect(await readFile(path.join(template, 'PG_VERSION'), 'utf8')).toBe(`${EMBEDDED_POSTGRES_MAJOR}\n`);
    expect(existsSync(path.join(template, 'postmaster.pid'))).toBe(false);
    // A data dir that holds a database is left as it is.
    await writeFile(path.join(pgdata, 'marker'), 'kept');
    await createPgdata(pgdata);
    expect(await readFile(path.join(pgdata, 'marker'), 'utf8')).toBe('kept');

    const second = embeddedDatabaseDir(path.join(dataDir, 'second'));
    await createPgdata(second);
    const db = await openPglite(second);
    expect(await migrateDatabase(db)).toMatchObject({ applied: expect.any(Number) });
    await createTeam(db.db, { slug: 'acme', name: 'Acme' });
    expect((await listTeams(db.db)).map((t) => t.slug)).toEqual(['acme']);
    await db.close();
    // The template itself was not written to.
    expect(existsSync(path.join(template, 'postmaster.pid'))).toBe(false);
  });

  it('is the Postgres major version the data dir check assumes', async () => {
    const db = await PGlite.create();
    const [row] = (await db.query<{ v: string }>("select current_setting('server_version_num') as v")).rows;
    await db.close();
    expect(Math.floor(Number(row?.v) / 10_000)).toBe(EMBEDDED_POSTGRES_MAJOR);
  });

  it('refuses a data dir written by a newer embedded Postgres, and leaves it as it was', async () => {
    await mkdir(embeddedDatabaseDir(dataDir), { recursive: true });
    const versionFile = path.join(embeddedDatabaseDir(dataDir), 'PG_VERSION');
    await writeFile(versionFile, `${EMBEDDED_POSTGRES_MAJOR + 1}\n`);
    await expect(prepareDataDir(dataDir)).rejects.toThrow(/written by a newer version/);
  });

  it('says clearly when the data dir cannot be used', async () => {
    const notADirectory = path.join(dataDir, 'file');
    await writeFile(notADirectory, 'x');
    const error = await prepareDataDir(notADirectory).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirUnusable);
    expect((error as Error).message).toContain(`GLIMPSE_DATA_DIR ${notADirectory} cannot be used`);
  });
});

describe('the data dir lock', () => {
  it('lets one process own the data dir and names the owner to anyone else', async () => {
    const lock = await lockDataDir(dataDir, 'server');
    const error = await lockDataDir(dataDir, 'server').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirInUse);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect(await liveDataDirOwner(dataDir)).toMatchObject({ pid: process.pid, role: 'server' });
    await lock.release();
    const again = await lockDataDir(dataDir, 'cli');
    await again.release();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const stale = {
      pid: 2 ** 22 + 12345,
      role: 'server',
      startedAt: '2020-01-01T00:00:00Z',
      hostname: (await import('node:os')).hostname(),
    };
    await writeFile(path.join(dataDir, 'glimpse.lock'), JSON.stringify(stale));
    expect(await liveDataDirOwner(dataDir)).toBeUndefined();
    const lock = await lockDataDir(dataDir, 'server');
    expect(await liveDataDirOwner(dataDir)).toMatchObject({ pid: process.pid });
    await lock.release();
  });
});
