import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPgdata } from './create-pgdata.ts';
import { embeddedDatabaseDir, prepareDataDir } from './data-dir.ts';
import { DataDirInUse, liveDataDirOwner, lockDataDir } from './data-dir-lock.ts';
import type { DatabaseHandle } from './database.ts';
import { openPostgres } from './open-postgres.ts';

/** Unix sockets have a short path limit; libpq-style clients look for this file name in a directory. */
const SOCKET_FILE = '.s.PGSQL.5432';
const MAX_SOCKET_PATH = 100;

/** Where the database is: PostgreSQL at `databaseUrl`, else PGlite in `dataDir` (`Config` has both). */
export interface DatabaseLocation {
  databaseUrl: string | undefined;
  dataDir: string;
}

export interface ServedDatabase extends DatabaseHandle {
  /** Where CLI commands reach the embedded database while the server runs (undefined on PostgreSQL). */
  socketPath: string | undefined;
}

/**
 * The server's database: PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in the data
 * dir, owned exclusively and also served on a unix socket so CLI commands can use it meanwhile. PGlite is
 * imported only on that path, so a server on PostgreSQL does not hold it in memory.
 */
export async function openServerDatabase(config: DatabaseLocation): Promise<ServedDatabase> {
  if (config.databaseUrl !== undefined) {
    return { ...openPostgres(config.databaseUrl), socketPath: undefined };
  }
  await prepareDataDir(config.dataDir);
  const lock = await lockDataDir(config.dataDir, 'server');
  try {
    const [{ openPglite }, { PGLiteSocketServer }] = await Promise.all([
      import('./open-pglite.ts'),
      import('@electric-sql/pglite-socket'),
    ]);
    await createPgdata(embeddedDatabaseDir(config.dataDir));
    const embedded = await openPglite(embeddedDatabaseDir(config.dataDir));
    const socketPath = path.join(config.dataDir, SOCKET_FILE);
    let socketServer: PGLiteSocketServer | undefined;
    if (socketPath.length <= MAX_SOCKET_PATH) {
      await rm(socketPath, { force: true });
      socketServer = new PGLiteSocketServer({ db: embedded.client, path: socketPath, maxConnections: 8 });
      await socketServer.start();
    }
    return {
      ...embedded,
      socketPath: socketServer === undefined ? undefined : socketPath,
      async close() {
        await socketServer?.stop();
        await embedded.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * A CLI command's database: PostgreSQL when DATABASE_URL is set; the running server's embedded database
 * through its socket; or, when no server runs, the embedded database opened directly.
 */
export async function openClientDatabase(config: DatabaseLocation): Promise<DatabaseHandle> {
  if (config.databaseUrl !== undefined) return openPostgres(config.databaseUrl, { max: 2 });
  await prepareDataDir(config.dataDir);
  const owner = await liveDataDirOwner(config.dataDir);
  if (owner?.role === 'server') {
    if (!existsSync(path.join(config.dataDir, SOCKET_FILE))) throw new DataDirInUse(config.dataDir, owner);
    const handle = openPostgres(
      `postgres://glimpse@localhost/glimpse?host=${encodeURIComponent(config.dataDir)}`,
      {
        max: 2,
      },
    );
    return { ...handle, description: `the embedded database of the server running as pid ${owner.pid}` };
  }
  const lock = await lockDataDir(config.dataDir, 'cli');
  try {
    const { openPglite } = await import('./open-pglite.ts');
    await createPgdata(embeddedDatabaseDir(config.dataDir));
    const embedded = await openPglite(embeddedDatabaseDir(config.dataDir));
    return {
      ...embedded,
      async close() {
        await embedded.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
