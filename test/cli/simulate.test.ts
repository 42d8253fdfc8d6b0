import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRepo } from '../local-runtime/support/app-repo.ts';
import { cli } from '../support/cli.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';
import { waitFor } from '../support/wait-for.ts';

function getThroughProxy(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('glimpse simulate against a real server, and a server killed with SIGKILL', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'glimpse-simulate-'));
  const repoDir = path.join(work, 'My_Shop');
  const app = createAppRepo(repoDir);
  let env: Record<string, string>;
  let server: GlimpseProcess;
  let proxyPort: number;

  const serve = async () => {
    server = startGlimpse(['serve'], env);
    await server.waitForOutput(/listening\s+http/);
  };

  beforeAll(async () => {
    app.commit('v1', { '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: /health\n' });
    proxyPort = await freePort();
    env = {
      GLIMPSE_PORT: String(await freePort()),
      GLIMPSE_PROXY_PORT: String(proxyPort),
      GLIMPSE_DATA_DIR: path.join(work, 'data'),
      GLIMPSE_ALLOW_FILE_REPOS: '1',
      GLIMPSE_RESYNC_SECONDS: '1',
    };
    await serve();
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    await server.exited().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('opens a PR for a local repo (sanitised name and number) and serves it through the proxy', async () => {
    const result = await cli(
      env,
      'simulate',
      'pull-request',
      'opened',
      '--repo',
      repoDir,
      '--number',
      '0042',
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Connected local/My_Shop');
    expect(result.stdout).toContain(`Preview: http://pr-my-shop-42.localhost:${proxyPort}`);
    const page = await getThroughProxy(proxyPort, 'pr-my-shop-42.localhost');
    expect(page.status).toBe(200);
    expect(page.body).toContain('version=v1');
  });

  it('brings the preview back after the server was killed with SIGKILL and restarted', async () => {
    server.kill('SIGKILL');
    await server.exited();
    await serve();
    const page = await waitFor(
      async () => {
        const reply = await getThroughProxy(proxyPort, 'pr-my-shop-42.localhost').catch(() => undefined);
        return reply?.status === 200 ? reply : undefined;
      },
      30_000,
      'the preview to serve again',
    );
    expect(page.body).toContain('version=v1');
  });

  it('redeploys on synchronize and removes the preview on close', async () => {
    app.commit('v2');
    const pushed = await cli(
      env,
      'simulate',
      'pull-request',
      'synchronize',
      '--repo',
      repoDir,
      '--number',
      '42',
    );
    expect(pushed.exitCode).toBe(0);
    expect((await getThroughProxy(proxyPort, 'pr-my-shop-42.localhost')).body).toContain('version=v2');
    const closed = await cli(env, 'simulate', 'pull-request', 'closed', '--repo', repoDir, '--number', '42');
    expect(closed.exitCode).toBe(0);
    expect(closed.stdout).toContain('deleted');
    expect((await getThroughProxy(proxyPort, 'pr-my-shop-42.localhost')).status).toBe(404);
  });

  it('explains what is wrong with its arguments', async () => {
    expect(
      (await cli(env, 'simulate', 'pull-request', 'merged', '--repo', repoDir, '--number', '1')).exitCode,
    ).toBe(2);
    const notRepo = await cli(env, 'simulate', 'pull-request', 'opened', '--repo', work, '--number', '1');
    expect(notRepo.exitCode).toBe(1);
    expect(notRepo.stderr).toContain('is not a git repository');
    const noServer = await cli(
      { ...env, GLIMPSE_PORT: String(await freePort()) },
      'simulate',
      'pull-request',
      'opened',
      '--repo',
      repoDir,
      '--number',
      '1',
    );
    expect(noServer.exitCode).toBe(1);
    expect(noServer.stderr).toContain('Cannot reach Glimpse');
    expect(noServer.stderr).toContain('GLIMPSE_PORT');
    expect(noServer.stderr).toContain('--server <url>');
  });

  it('shows the last lines of a crashing app in simulate and env show', async () => {
    app.commit('crash', {
      '.glimpse.yml':
        'local:\n  start: node server.cjs\n  health: /health\n  env:\n    CRASH_ON_START: "yes"\n',
    });
    const result = await cli(env, 'simulate', 'pull-request', 'opened', '--repo', repoDir, '--number', '43');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The preview failed: The app exited with exit code 3');
    expect(result.stderr).toContain('Last lines of its output:\n');
    expect(result.stderr).toContain('  app: boom: refusing to start');
    const shown = await cli(env, 'env', 'show', 'pr-my-shop-43');
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/^error {8}The app exited with exit code 3/m);
    expect(shown.stdout).toContain(`\n${' '.repeat(13)}  app: boom: refusing to start\n`);
  });
});

describe("glimpse simulate --server, against a Glimpse whose data dir is not the command's", () => {
  const work = mkdtempSync(path.join(tmpdir(), 'glimpse-simulate-remote-'));
  const repoDir = path.join(work, 'remote-app');
  const app = createAppRepo(repoDir);
  const serverData = path.join(work, 'server-data');
  const commandData = path.join(work, 'command-data');
  let server: GlimpseProcess;
  let url: string;
  let proxyPort: number;
  let token: string;
  /** What the command sees: its own data dir and port, the server's webhook secret, the admin's token. */
  let local: Record<string, string>;

  beforeAll(async () => {
    app.commit('v1', { '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: /health\n' });
    const port = await freePort();
    proxyPort = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startGlimpse(['serve'], {
      GLIMPSE_PORT: String(port),
      GLIMPSE_PROXY_PORT: String(proxyPort),
      GLIMPSE_DATA_DIR: serverData,
      GLIMPSE_ALLOW_FILE_REPOS: '1',
    });
    await server.waitForOutput(/listening\s+http/);
    // The server's operator makes the token, through the server's data dir.
    const created = await cli({ GLIMPSE_DATA_DIR: serverData }, 'tokens', 'create', 'admin', '--json');
    token = (JSON.parse(created.stdout) as { token: string }).token;
    local = {
      GLIMPSE_PORT: String(await freePort()),
      GLIMPSE_DATA_DIR: commandData,
      GITHUB_WEBHOOK_SECRET: readFileSync(path.join(serverData, 'webhook-secret'), 'utf8').trim(),
      GLIMPSE_TOKEN: token,
    };
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    await server.exited().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  const simulate = (env: Record<string, string>, action: string, ...extra: string[]) =>
    cli(
      env,
      'simulate',
      'pull-request',
      action,
      '--repo',
      repoDir,
      '--number',
      '7',
      '--server',
      url,
      ...extra,
    );

  it('connects the repo, waits on that server and prints its preview, without touching its own data dir', async () => {
    const result = await simulate(local, 'opened');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Connected local/remote-app');
    expect(result.stdout).toContain('pr-remote-app-7: running');
    expect(result.stdout).toContain(`Preview: http://pr-remote-app-7.localhost:${proxyPort}`);
    expect((await getThroughProxy(proxyPort, 'pr-remote-app-7.localhost')).body).toContain('version=v1');
    expect(existsSync(commandData)).toBe(false);
  });

  it("says what it needs: an API token that sees the preview, and the server's webhook secret", async () => {
    const { GLIMPSE_TOKEN: _, ...noToken } = local;
    const tokenless = await simulate(noToken, 'synchronize');
    expect(tokenless.exitCode).toBe(1);
    expect(tokenless.stderr).toContain('--token');
    expect((await simulate(noToken, 'synchronize', '--no-wait')).exitCode).toBe(0);

    const { GITHUB_WEBHOOK_SECRET: __, ...noSecret } = local;
    const secretless = await simulate(noSecret, 'synchronize');
    expect(secretless.exitCode).toBe(1);
    expect(secretless.stderr).toContain('GITHUB_WEBHOOK_SECRET');
    expect(existsSync(commandData)).toBe(false);

    const wrong = await simulate(
      { ...local, GITHUB_WEBHOOK_SECRET: 'not-the-secret-of-that-server' },
      'synchronize',
    );
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('GITHUB_WEBHOOK_SECRET');

    const operator = { GLIMPSE_DATA_DIR: serverData };
    await cli(operator, 'teams', 'create', 'elsewhere');
    await cli(operator, 'users', 'add', 'outsider', '--team', 'elsewhere');
    const outsider = await cli(operator, 'tokens', 'create', 'outsider', '--json');
    const unseen = await simulate(
      { ...local, GLIMPSE_TOKEN: (JSON.parse(outsider.stdout) as { token: string }).token },
      'synchronize',
    );
    expect(unseen.exitCode).toBe(1);
    expect(unseen.stderr).toContain("does not show the preview of local/remote-app#7 to the token's user");
  });

  it('removes the preview on close, with the token given as --token', async () => {
    const { GLIMPSE_TOKEN: _, ...noToken } = local;
    const closed = await simulate(noToken, 'closed', '--token', token);
    expect(closed.stderr).toBe('');
    expect(closed.exitCode).toBe(0);
    expect(closed.stdout).toContain('pr-remote-app-7: deleted');
    expect((await getThroughProxy(proxyPort, 'pr-remote-app-7.localhost')).status).toBe(404);
  });
});
