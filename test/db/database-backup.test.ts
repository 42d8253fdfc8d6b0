import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDatabase, restoreDatabase } from '../../src/db/database-backup.ts';
import { asc } from '../../src/db/drizzle-orm.ts';
import { environments, users } from '../../src/db/schema.ts';
import { seedPreviewWorld } from '../support/seed-previews.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';

describe.each(databaseTargets())('a backup of %s restored into a new embedded database', (target) => {
  let source: TestDatabase;
  let copy: TestDatabase;

  beforeAll(async () => {
    source = await createTestDatabase(target);
    copy = await createTestDatabase('pglite');
    await seedPreviewWorld(source.handle.db);
  });
  afterAll(async () => {
    await source.close();
    await copy.close();
  });

  it('holds every row of every table, with the same values and types', async () => {
    const backup = await backupDatabase(source.handle.db, '0.1.0', new Date());
    expect(backup.tables.environments).toHaveLength(3);
    const { rows } = await restoreDatabase(copy.handle.db, backup);
    expect(rows).toBe(Object.values(backup.tables).reduce((sum, t) => sum + t.length, 0));
    const read = (t: TestDatabase) =>
      t.handle.db.select().from(environments).orderBy(asc(environments.namespace));
    expect(await read(copy)).toEqual(await read(source));
    const people = (t: TestDatabase) => t.handle.db.select().from(users).orderBy(asc(users.githubLogin));
    expect(await people(copy)).toEqual(await people(source));
  });

  it('refuses a backup whose migrations differ from this version', async () => {
    const backup = await backupDatabase(source.handle.db, '0.0.9', new Date());
    const fresh = await createTestDatabase('pglite');
    try {
      await expect(
        restoreDatabase(fresh.handle.db, { ...backup, migrations: backup.migrations.slice(0, -1) }),
      ).rejects.toThrow('whose database is older than this version');
      await expect(
        restoreDatabase(fresh.handle.db, { ...backup, migrations: [...backup.migrations, 1] }),
      ).rejects.toThrow('whose database is newer than this version');
    } finally {
      await fresh.close();
    }
  });
});
