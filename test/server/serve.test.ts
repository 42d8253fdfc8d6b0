import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';
import { createScratchPostgres, databaseTargets } from '../support/test-database.ts';

const BANNER = /listening\s+(http:\/\/\S+)/;

describe.each(databaseTargets())('glimpse serve on %s', (target) => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  const running: GlimpseProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-serve-'));
    if (target === 'postgres') {
      const scratch = await createScratchPostgres();
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
  });
  afterEach(async () => {
    for (const glimpse of running.splice(0)) {
      glimpse.kill('SIGKILL');
      await glimpse.exited().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await dropDatabase?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  function env(port: number): Record<string, string> {
    return {
      GLIMPSE_PORT: String(port),
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_PROXY_PORT: '0',
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
    };
  }

  async function serve(port: number): Promise<{ glimpse: GlimpseProcess; url: string }> {
    const glimpse = startGlimpse(['serve'], env(port));
    running.push(glimpse);
    const [, url] = await glimpse.waitForOutput(BANNER);
    return { glimpse, url: url ?? '' };
  }

  it('prints a banner and answers health, readiness and unknown routes', async () => {
    const port = await freePort();
    const { glimpse, url } = await serve(port);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const banner = glimpse.output();
    expect(banner).toMatch(/^Glimpse \d+\.\d+\.\d+/m);
    expect(banner).toContain(
      target === 'pglite' ? `embedded PGlite in ${dataDir}` : 'PostgreSQL at 127.0.0.1:5432/',
    );
    expect(banner).toMatch(/runtime\s+local/);
    expect(banner).toContain(`data       ${dataDir}`);
    expect(banner).toMatch(/one-time login token \(shown only now\):\n\s+glp_\S+/);
    if (databaseUrl !== undefined) expect(banner).not.toContain(databaseUrl);

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { database: target } });
    const missing = await fetch(`${url}/no/such/route?x=1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /no/such/route.' },
    });
  });

  it('exits 0 within 10 seconds of SIGTERM, and of SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { glimpse } = await serve(await freePort());
      const started = Date.now();
      glimpse.kill(signal);
      expect(await glimpse.exited(10_000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(glimpse.output()).toContain('stopped');
    }
  });

  it('keeps teams, users and tokens made with the CLI while it runs, across a restart', async () => {
    const port = await freePort();
    const { glimpse, url } = await serve(port);
    // The server owns the embedded database; these commands reach it through its socket.
    expect((await cli(env(port), 'teams', 'create', 'acme')).exitCode).toBe(0);
    expect((await cli(env(port), 'users', 'add', 'octocat', '--team', 'acme')).exitCode).toBe(0);
    const token = JSON.parse((await cli(env(port), 'tokens', 'create', 'octocat', '--json')).stdout) as {
      id: string;
    };
    glimpse.kill('SIGTERM');
    expect(await glimpse.exited()).toBe(0);

    const restarted = await serve(port);
    expect(restarted.url).toBe(url);
    expect(restarted.glimpse.output()).not.toContain('one-time login token');
    const teams = JSON.parse((await cli(env(port), 'teams', 'ls', '--json')).stdout);
    expect(teams).toMatchObject([{ slug: 'acme', members: 1 }]);
    expect((await cli(env(port), 'tokens', 'revoke', token.id)).exitCode).toBe(0);
  });

  it.runIf(target === 'pglite')(
    'refuses a second server on the same data dir and names the holder',
    async () => {
      const { glimpse } = await serve(await freePort());
      const second = startGlimpse(['serve'], env(await freePort()));
      running.push(second);
      expect(await second.exited()).toBe(1);
      expect(second.output()).toContain(`is in use by a running Glimpse server (pid ${glimpse.child.pid}`);
      expect(second.output()).not.toMatch(/\s+at .*\.ts:\d+/);
    },
  );

  it.runIf(target === 'postgres')('lets two replicas start together on one database', async () => {
    const [first, second] = await Promise.all([serve(await freePort()), serve(await freePort())]);
    for (const { url } of [first, second]) expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const tokens = [first, second].filter(({ glimpse }) => glimpse.output().includes('one-time login token'));
    expect(tokens.length).toBeLessThanOrEqual(1);
  });
});

describe('glimpse serve with a bad configuration', () => {
  it('exits 1 and names each bad variable, without a stack trace', async () => {
    const glimpse = startGlimpse(['serve'], { GLIMPSE_PORT: 'abc', GLIMPSE_RUNTIME: 'docker' });
    expect(await glimpse.exited()).toBe(1);
    expect(glimpse.output()).toContain('GLIMPSE_PORT: got "abc", expected a whole number from 1 to 65535');
    expect(glimpse.output()).toContain('GLIMPSE_RUNTIME: got "docker"');
    expect(glimpse.output()).not.toMatch(/\s+at .*:\d+:\d+/);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-port-'));
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const glimpse = startGlimpse(['serve'], {
      GLIMPSE_PORT: String(port),
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_PROXY_PORT: '0',
    });
    // A fresh embedded database is created first, which takes seconds on a loaded machine.
    expect(await glimpse.exited(60_000)).toBe(1);
    expect(glimpse.output()).toContain(`127.0.0.1:${port} is already in use`);
    blocker.close();
    await rm(dataDir, { recursive: true, force: true });
  });
});
