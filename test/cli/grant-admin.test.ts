import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { seedEnvironment, seedRepo, seedTeam, seedUser } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';

describe('glimpse users grant-admin and revoke-admin', () => {
  let server: ApiServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!process.env.TEST_DATABASE_URL) return;
    server = await startApiServer('postgres');
    env = { DATABASE_URL: server.database.url ?? '' };
    const team = await seedTeam(server.db, 'globex');
    const repo = await seedRepo(server.db, 'globex/shop', team);
    await seedEnvironment(server.db, { repoId: repo, repoFullName: 'globex/shop', prNumber: 3 });
    await seedUser(server.db, 'mia', []);
  });
  afterAll(() => server?.close());

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'lets a Glimpse admin see every team, and stops when revoked',
    async () => {
      const { token } = JSON.parse((await cli(env, 'tokens', 'create', 'mia', '--json')).stdout) as {
        token: string;
      };
      const remote = { GLIMPSE_URL: server.url, GLIMPSE_TOKEN: token };
      const visible = async () => (await cli(remote, 'env', 'show', 'pr-shop-3', '--json')).exitCode;
      expect(await visible()).toBe(1);
      expect(await cli(env, 'users', 'grant-admin', 'mia')).toMatchObject({
        exitCode: 0,
        stdout: 'mia is now a Glimpse administrator.\n',
      });
      expect(await visible()).toBe(0);
      expect((await cli(env, 'users', 'revoke-admin', 'mia', '--json')).stdout).toContain('"isAdmin": false');
      expect(await visible()).toBe(1);
      expect((await cli(env, 'users', 'grant-admin', 'nobody')).stderr).toContain(
        'User "nobody" does not exist',
      );
    },
  );
});
