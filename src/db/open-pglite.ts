import { PGlite } from '@electric-sql/pglite';
import type { DatabaseHandle } from './database.ts';
import { requireDrizzle } from './drizzle-orm.ts';
import * as schema from './schema.ts';

const { drizzle } = requireDrizzle('drizzle-orm/pglite') as typeof import('drizzle-orm/pglite');
const { migrate } = requireDrizzle(
  'drizzle-orm/pglite/migrator',
) as typeof import('drizzle-orm/pglite/migrator');

/** Opens the embedded database in `dir`, or in memory when `dir` is undefined (tests). */
export async function openPglite(dir: string | undefined): Promise<DatabaseHandle & { client: PGlite }> {
  const client = dir === undefined ? await PGlite.create() : await PGlite.create(dir);
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
