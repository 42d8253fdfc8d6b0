import { PGlite } from '@electric-sql/pglite';
import type { DatabaseHandle } from './database.ts';
import { requireDrizzle } from './drizzle-orm.ts';
import * as schema from './schema.ts';

const { drizzle } = requireDrizzle('drizzle-orm/pglite') as typeof import('drizzle-orm/pglite');
const { migrate } = requireDrizzle(
  'drizzle-orm/pglite/migrator',
) as typeof import('drizzle-orm/pglite/migrator');

/**
 * PostgreSQL settings for Glimpse's small database, on top of PGlite's own. PostgreSQL's defaults size
 * shared memory for a server of many connections: 128 MB of shared buffers, all of it touched inside
 * PGlite's WebAssembly memory, for a database of a few MB. See docs/decisions/0016-embedded-database-memory.md.
 */
const SETTINGS: Record<string, string> = {
  shared_buffers: '8MB',
  max_connections: '10',
};

const startParams = [
  ...PGlite.defaultStartParams,
  ...Object.entries(SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
];

/** Opens the embedded database in `dir`, or in memory when `dir` is undefined (tests). */
export async function openPglite(dir: string | undefined): Promise<DatabaseHandle & { client: PGlite }> {
  const client = await PGlite.create(dir, { startParams });
  const db = drizzle(client, { schema });
  return {
    db,
    client,
    kind: 'pglite',
    description: dir === undefined ? 'embedded PGlite (in memory)' : `embedded PGlite in ${dir}`,
    // PGlite is a single connection owned by this process, so the lock is taken on it directly.
    async withAdvisoryLock(key, work) {
      await client.query('select pg_advisory_lock($1)', [key]);
      try {
        return await work();
      } finally {
        await client.query('select pg_advisory_unlock($1)', [key]);
      }
    },
    listen: (channel, onNotify) => client.listen(channel, onNotify),
    applyMigrations: (folder) => migrate(db, { migrationsFolder: folder }),
    close: () => client.close(),
  };
}
