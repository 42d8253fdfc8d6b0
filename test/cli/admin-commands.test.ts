import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedDatabaseDir } from '../../src/db/data-dir.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { openPostgres } from '../../src/db/open-postgres.ts';
import { apiTokens } from '../../src/db/schema.ts';
import { hashToken } from '../../src/services/api-tokens.ts';
import { cli } from '../support/cli.ts';
import { createScratchPostgres, databaseTargets } from '../support/test-database.ts';

describe.each(databaseTargets())('glimpse administration commands on %s', (target) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-cli-'));
    env = { GLIMPSE_DATA_DIR: dataDir };
    cleanup = () => rm(dataDir, { recursive: true, force: true });
    if (target === 'postgres') {
      const scratch = await createScratchPostgres();
      env.DATABASE_URL = scratch.url;
      cleanup = async () => {
        await scratch.drop();
        await rm(dataDir, { recursive: true, force: true });
      };
    }
  });
  afterAll(() => cleanup());

  async function storedTokens() {
    const handle =
      target === 'postgres'
        ? openPostgres(env.DATABASE_URL ?? '')
        : await openPglite(embeddedDatabaseDir(dataDir));
    try {
      return await handle.db.select().from(apiTokens);
    } finally {
      await handle.close();
    }
  }

  it('creates and lists teams, as text and as JSON', async () => {
    const created = await cli(env, 'teams', 'create', 'Acme', '--name', 'Acme Inc', '--json');
    expect(created.exitCode).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'acme', name: 'Acme Inc', members: 0 });

    const listed = await cli(env, 'teams', 'ls');
    expect(listed).toMatchObject({ exitCode: 0 });
    expect(listed.stdout).toMatch(/^SLUG\s+NAME\s+MEMBERS\s+CREATED\nacme\s+Acme Inc\s+0\s/);
  });

  it('refuses a duplicate team and an invalid slug', async () => {
    const duplicate = await cli(env, 'teams', 'create', 'acme');
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('Team "acme" already exists');
    const invalid = await cli(env, 'teams', 'create', 'no spaces');
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toContain('Team slug "no spaces" is not valid');
  });

  it('adds users to teams with a role and counts them as members', async () => {
    const added = await cli(env, 'users', 'add', 'octocat', '--team', 'acme', '--role', 'admin', '--json');
    expect(added.exitCode).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ login: 'octocat', team: 'acme', role: 'admin' });
    expect((await cli(env, 'users', 'add', 'hubot', '--team', 'acme')).stdout).toContain(
      'hubot is now member',
    );
    const teams = JSON.parse((await cli(env, 'teams', 'ls', '--json')).stdout);
    expect(teams).toMatchObject([{ slug: 'acme', members: 2 }]);
  });

  it('names a missing team or user and exits 1', async () => {
    const noTeam = await cli(env, 'users', 'add', 'octocat', '--team', 'ghost');
    expect(noTeam).toMatchObject({ exitCode: 1, stdout: '' });
    expect(noTeam.stderr).toContain('Team "ghost" does not exist');
    const noUser = await cli(env, 'tokens', 'create', 'nobody');
    expect(noUser.exitCode).toBe(1);
    expect(noUser.stderr).toContain('User "nobody" does not exist');
  });

  it('prints usage and exits 2 on wrong arguments', async () => {
    const badRole = await cli(env, 'users', 'add', 'octocat', '--team', 'acme', '--role', 'boss');
    expect(badRole.exitCode).toBe(2);
    expect(badRole.stderr).toContain("argument 'boss' is invalid");
    expect(badRole.stderr).toContain('Usage: glimpse users add');
    expect((await cli(env, 'users', 'add', 'octocat')).exitCode).toBe(2);
    expect((await cli(env, 'teams', 'create')).exitCode).toBe(2);
    expect((await cli(env, 'frobnicate')).exitCode).toBe(2);
  });

  it('prints a new token once and stores only its hash', async () => {
    const created = await cli(env, 'tokens', 'create', 'octocat', '--name', 'laptop', '--json');
    expect(created.exitCode).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    expect(token).toMatch(/^glp_[A-Za-z0-9_-]{40}$/);
    const rows = await storedTokens();
    const row = rows.find((r) => r.id === id);
    expect(row).toMatchObject({ name: 'laptop', tokenHash: hashToken(token), revokedAt: null });
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('revokes a token once, and says so when there is nothing to revoke', async () => {
    const { id } = JSON.parse((await cli(env, 'tokens', 'create', 'hubot', '--json')).stdout) as {
      id: string;
    };
    expect((await cli(env, 'tokens', 'revoke', id)).stdout).toContain(`Revoked token ${id}`);
    expect((await storedTokens()).find((r) => r.id === id)?.revokedAt).toBeInstanceOf(Date);
    const again = await cli(env, 'tokens', 'revoke', id);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`No active token with id ${id}`);
    expect((await cli(env, 'tokens', 'revoke', 'not-an-id')).exitCode).toBe(1);
  });

  it('lists users with their teams, and tokens without the tokens themselves, as text and JSON', async () => {
    await cli(env, 'teams', 'create', 'listing');
    await cli(env, 'users', 'add', 'lister', '--team', 'listing', '--role', 'admin');
    const { id, token } = JSON.parse(
      (await cli(env, 'tokens', 'create', 'lister', '--name', 'ci', '--json')).stdout,
    ) as { id: string; token: string };
    const revoked = JSON.parse((await cli(env, 'tokens', 'create', 'lister', '--json')).stdout) as {
      id: string;
    };
    await cli(env, 'tokens', 'revoke', revoked.id);

    const usersJson = await cli(env, 'users', 'ls', '--json');
    expect(usersJson.exitCode).toBe(0);
    const listed = JSON.parse(usersJson.stdout) as { login: string; teams: unknown[]; isAdmin: boolean }[];
    expect(listed.find((u) => u.login === 'lister')).toMatchObject({
      isAdmin: false,
      teams: [{ team: 'listing', role: 'admin' }],
    });
    const usersText = await cli(env, 'users', 'ls');
    expect(usersText.stdout).toMatch(/^LOGIN\s+ADMIN\s+TEAMS\s+CREATED$/m);
    expect(usersText.stdout).toMatch(/^lister\s+no\s+listing \(admin\)\s+\d{4}-/m);

    const tokensJson = await cli(env, 'tokens', 'ls', '--user', 'lister', '--json');
    expect(tokensJson.exitCode).toBe(0);
    expect(tokensJson.stdout).not.toContain(token);
    const tokens = JSON.parse(tokensJson.stdout) as { id: string; revokedAt: string | null }[];
    expect(tokens.map((t) => t.id)).toEqual([id, revoked.id]);
    expect(tokens[0]).toMatchObject({ login: 'lister', name: 'ci', kind: 'api', prefix: token.slice(0, 8) });
    expect(tokens[0]?.revokedAt).toBeNull();
    expect(tokens[1]?.revokedAt).not.toBeNull();
    const tokensText = await cli(env, 'tokens', 'ls');
    expect(tokensText.stdout).toContain(`${id}  lister`);
    expect(tokensText.stdout).toMatch(new RegExp(`${revoked.id}\\s+lister.*revoked`));
    expect(tokensText.stdout).not.toContain(token);
    const nobody = await cli(env, 'tokens', 'ls', '--user', 'nobody');
    expect(nobody.exitCode).toBe(1);
    expect(nobody.stderr).toContain('User "nobody" does not exist');
  });

  it('reports a bad configuration by variable name, without a stack trace', async () => {
    const result = await cli({ ...env, DATABASE_URL: 'mysql://x', GLIMPSE_PORT: 'abc' }, 'teams', 'ls');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('GLIMPSE_PORT: got "abc"');
    expect(result.stderr).toContain('DATABASE_URL: got a value (hidden)');
    expect(result.stderr).not.toMatch(/\s+at .*\.ts:\d+/);
  });
});
