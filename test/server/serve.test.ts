import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
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
    expect(banner).toMatch(
      /runtime\s+local: local processes, served at .*; sandbox: bubblewrap, each preview under a uid of its own \(200000-265535\): previews see only/,
    );
    expect(banner).not.toContain('WARNING');
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

  // After the banner test: on PostgreSQL this start shares its database, so the admin exists by now.
  it('creates a data dir that does not exist yet, whatever the database', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const fresh = path.join(dataDir, 'not', 'yet');
    const glimpse = startGlimpse(['serve'], { ...env(port), GLIMPSE_DATA_DIR: fresh });
    running.push(glimpse);
    await glimpse.waitForOutput(BANNER, 60_000);
    expect((await stat(path.join(fresh, 'session-secret'))).isFile()).toBe(true);
  });

  it('warns in the banner when local previews run without a sandbox, and that forks are refused', async () => {
    const port = await freePort();
    const glimpse = startGlimpse(['serve'], { ...env(port), GLIMPSE_LOCAL_SANDBOX: 'none' });
    running.push(glimpse);
    await glimpse.waitForOutput(BANNER);
    await glimpse.waitForOutput(/WARNING/);
    expect(glimpse.output()).toMatch(
      /^ {2}WARNING {4}Local previews run without a sandbox \(GLIMPSE_LOCAL_SANDBOX=none\), so pull requests from forks are not deployed: install bubblewrap/m,
    );
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

  it('exits 1 with one line when the kubeconfig cannot be used (a plain http:// cluster)', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-kubeconfig-'));
    const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
    await writeFile(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: plain, cluster: { server: "http://127.0.0.1:8001" } }]\n' +
        'users: [{ name: me, user: { token: abc } }]\ncontexts: [{ name: here, context: { cluster: plain, user: me } }]\n' +
        'current-context: here\n',
    );
    const glimpse = startGlimpse(['serve'], {
      GLIMPSE_PORT: String(await freePort()),
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_RUNTIME: 'kubernetes',
      KUBECONFIG: kubeconfig,
      LOG_LEVEL: 'warn',
    });
    expect(await glimpse.exited(60_000)).toBe(1);
    expect(glimpse.output().trim()).toMatch(
      /^Error: GLIMPSE_RUNTIME=kubernetes cannot start: the kubeconfig's cluster "plain" has a plain http:\/\/ server .*insecure-skip-tls-verify: true on that cluster\.$/,
    );
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 1 with a clear message when the port is taken', { timeout: 90_000 }, async () => {
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

  it('exits 1 with one line when the proxy port is taken, and shows the admin token on the next start', {
    timeout: 150_000,
  }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-proxy-port-'));
    const blocker = await listenAnywhere();
    const address = blocker.address();
    const proxyPort = typeof address === 'object' && address !== null ? address.port : 0;
    const settings = { GLIMPSE_PORT: String(await freePort()), GLIMPSE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const failed = startGlimpse(['serve'], { ...settings, GLIMPSE_PROXY_PORT: String(proxyPort) });
    expect(await failed.exited(60_000)).toBe(1);
    expect(failed.output().trim()).toBe(
      `Error: The preview proxy cannot listen on 127.0.0.1:${proxyPort} (the port is in use): stop what listens there, or set GLIMPSE_PROXY_PORT to a free port.`,
    );
    blocker.close();
    const started = startGlimpse(['serve'], { ...settings, GLIMPSE_PROXY_PORT: '0' });
    try {
      await started.waitForOutput(BANNER, 60_000);
      expect(started.output()).toMatch(/one-time login token \(shown only now\):\n\s+glp_\S+/);
    } finally {
      started.kill('SIGTERM');
      await started.exited().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

async function listenAnywhere(): Promise<Server> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}
