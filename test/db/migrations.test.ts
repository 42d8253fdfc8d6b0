import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { DatabaseTooNew, migrateDatabase, migrationState } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { environments, repos, teamMemberships, teams, users } from '../../src/db/schema.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';

const TABLES = [
  'api_tokens',
  'audit_events',
  'deployments',
  'environment_events',
  'environments',
  'github_apps',
  'repos',
  'team_memberships',
  'teams',
  'users',
  'webhook_deliveries',
];

describe.each(databaseTargets())('migrations on %s', (target) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('creates every table on an empty database, then has nothing left to apply', async () => {
    database = await createTestDatabase(target, { migrate: false });
    expect(await migrationState(database.handle.db)).toMatchObject({ appliedCount: 0 });
    const first = await migrateDatabase(database.handle);
    expect(first.applied).toBeGreaterThan(0);
    const tables = await queryRows<{ table_name: string }>(
      database.handle.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(TABLES);
    expect(await migrateDatabase(database.handle)).toEqual({ applied: 0 });
    expect(await migrationState(database.handle.db)).toMatchObject({ pending: 0 });
  });

  it('enforces one environment per repo and PR, and unique namespaces', async () => {
    database = await createTestDatabase(target);
    const { db } = database.handle;
    const [team] = await db.insert(teams).values({ slug: 'acme', name: 'Acme' }).returning();
    const [repo] = await db
      .insert(repos)
      .values({ githubId: 1, fullName: 'acme/web', installationId: 7, teamId: team?.id ?? '' })
      .returning();
    const environment = {
      repoId: repo?.id ?? '',
      prNumber: 1,
      namespace: 'pr-web-1',
      headSha: 'a'.repeat(40),
    };
    await db.insert(environments).values(environment);
    await expect(
      db.insert(environments).values({ ...environment, namespace: 'pr-web-1b' }),
    ).rejects.toThrow();
    await expect(db.insert(environments).values({ ...environment, prNumber: 2 })).rejects.toThrow();
  });

  it('keeps one membership per team and user', async () => {
    database = await createTestDatabase(target);
    const { db } = database.handle;
    const [team] = await db.insert(teams).values({ slug: 'acme', name: 'Acme' }).returning();
    const [user] = await db.insert(users).values({ githubLogin: 'octocat' }).returning();
    const membership = { teamId: team?.id ?? '', userId: user?.id ?? '', role: 'member' as const };
    await db.insert(teamMemberships).values(membership);
    await expect(db.insert(teamMemberships).values({ ...membership, role: 'admin' })).rejects.toThrow();
  });

  it('refuses a database migrated by a newer Glimpse, without changing it', async () => {
    database = await createTestDatabase(target);
    const future = Date.now() + 365 * 86_400_000;
    await database.handle.db.execute(
      sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-the-future', ${future})`,
    );
    await expect(migrateDatabase(database.handle)).rejects.toThrow(DatabaseTooNew);
    await expect(migrationState(database.handle.db)).rejects.toThrow(/newer version of Glimpse/);
  });
});

describe.runIf(databaseTargets().includes('postgres'))('migration lock on PostgreSQL', () => {
  it('lets two migrators start together: one applies, the other waits and finds nothing to do', async () => {
    const database = await createTestDatabase('postgres', { migrate: false });
    const other = openPostgres(database.url ?? '');
    try {
      const results = await Promise.all([migrateDatabase(database.handle), migrateDatabase(other)]);
      const applied = results.map((r) => r.applied).sort();
      expect(applied[0]).toBe(0);
      expect(applied[1]).toBeGreaterThan(0);
      const rows = await queryRows<{ count: number }>(
        database.handle.db,
        sql`select cast(count(*) as int) as count from drizzle.__drizzle_migrations`,
      );
      expect(rows[0]?.count).toBe(applied[1]);
    } finally {
      await other.close();
      await database.close();
    }
  });
});
