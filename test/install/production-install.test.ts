import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/cli/server-heap.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Where the Dockerfile installs the package; the test installs into a temp folder instead. */
const IMAGE_PREFIX = '/opt/glimpse';
const run = promisify(execFile);

/** The Dockerfile's exec-form ENTRYPOINT, as an argument list. */
async function dockerEntrypoint(): Promise<string[]> {
  const dockerfile = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
}

// Packs the project as `npm pack` does for the image (prepack compiles dist/), installs the tarball with
// deploy/install-package.sh exactly as the Dockerfile does (--omit=dev, into an empty folder, so the package
// lives under node_modules where Node strips no types), and starts the image's entrypoint on Node 24.
describe('the production install', () => {
  let work: string;
  let target: string;
  let glimpse: GlimpseProcess | undefined;
  // npm runs on the Node.js running the tests (Node 24 from node_modules), with npm's cache from `npm ci`.
  const npmEnv = {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '',
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'glimpse-install-'));
    target = path.join(work, 'opt-glimpse');
    await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, env: npmEnv, timeout: 180_000 });
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack left no tarball in ${work}`);
    await run('sh', [path.join(ROOT, 'deploy/install-package.sh'), path.join(work, tarball), target], {
      env: npmEnv,
      timeout: 180_000,
    });
  }, 400_000);

  afterAll(async () => {
    glimpse?.kill('SIGKILL');
    await glimpse?.exited().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and no devDependencies', () => {
    const installed = path.join(target, 'node_modules');
    expect(existsSync(path.join(installed, 'glimpse/dist/cli/main.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'glimpse/dist/db/migrations'))).toBe(true);
    expect(existsSync(path.join(installed, 'glimpse/src'))).toBe(false);
    for (const dev of ['node', 'vitest', 'typescript', '@biomejs/biome']) {
      expect(existsSync(path.join(installed, dev)), dev).toBe(false);
    }
  });

  it('runs the Dockerfile entrypoint: ready, and stops on SIGTERM', async () => {
    const entrypoint = await dockerEntrypoint();
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint.at(-1)).toBe('serve');
    for (const flag of SERVER_NODE_FLAGS) expect(entrypoint).toContain(flag);
    const nodeArgs = entrypoint
      .slice(1, -1)
      .map((arg) =>
        arg.startsWith(`${IMAGE_PREFIX}/`) ? path.join(target, arg.slice(IMAGE_PREFIX.length)) : arg,
      );

    const dataDir = path.join(work, 'data');
    const port = await freePort();
    glimpse = startGlimpse(
      ['serve'],
      { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_PORT: String(port), GLIMPSE_PROXY_PORT: '0' },
      { nodeArgs, cwd: work },
    );
    await glimpse.waitForOutput(/listening\s+http:\/\//, 60_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
    const dashboard = await fetch(`http://127.0.0.1:${port}/`);
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await dashboard.text();
    const script = /<script[^>]+src="([^"]+)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}${script}`)).status).toBe(200);

    glimpse.kill('SIGTERM');
    expect(await glimpse.exited(30_000)).toBe(0);
  }, 120_000);
});
