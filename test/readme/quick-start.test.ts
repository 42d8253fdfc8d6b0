import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/glimpse-process.ts';
import { promisedOutputs, sectionCodeBlocks } from '../support/readme-blocks.ts';
import { waitFor } from '../support/wait-for.ts';

const run = promisify(execFile);
const CHECKOUT = path.resolve(import.meta.dirname, '..', '..');

/**
 * README's "Try it without GitHub", as written: its shell blocks run from a copy of this checkout with the
 * default data dir (./.glimpse inside the copy). Only the ports move, through GLIMPSE_PORT and
 * GLIMPSE_PROXY_PORT (and so the curl URLs' :8080), and /tmp/my-app becomes a private folder of the same
 * name so that runs in parallel do not share it. HOME is a fresh folder (with git told who commits), as on a
 * new user's machine.
 */
describe('README quick start', () => {
  let base: string;
  let copy: string;
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let blocks: string[];
  let proxyPort: number;

  beforeAll(async () => {
    const readme = await readFile(path.join(CHECKOUT, 'README.md'), 'utf8');
    const sh = sectionCodeBlocks(readme, 'Try it without GitHub').filter((b) => b.lang === 'sh');
    base = await mkdtemp(path.join(tmpdir(), 'glimpse-readme-'));
    copy = path.join(base, 'glimpse');
    proxyPort = await freePort();
    blocks = sh.map((b) =>
      b.code
        .replaceAll('/tmp/my-app', path.join(base, 'my-app'))
        .replaceAll('localhost:8080', `localhost:${proxyPort}`),
    );
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: CHECKOUT,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      await cp(path.join(CHECKOUT, file), path.join(copy, file), { recursive: true }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in git
        },
      );
    }
    await symlink(path.join(CHECKOUT, 'node_modules'), path.join(copy, 'node_modules'));
    await mkdir(path.join(base, 'home'));
    // A user who commits has told git who they are.
    await writeFile(
      path.join(base, 'home', '.gitconfig'),
      '[user]\n\tname = Ada\n\temail = ada@example.com\n',
    );
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: path.join(base, 'home'),
      GLIMPSE_PORT: String(await freePort()),
      GLIMPSE_PROXY_PORT: String(proxyPort),
    };
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      process.kill(-server.pid, 'SIGTERM');
      await once(server, 'exit');
    }
    await rm(base, { recursive: true, force: true });
  });

  const shell = async (code: string, cwd: string) => {
    try {
      const { stdout } = await run('bash', ['-e', '-c', code], { cwd, env, timeout: 180_000 });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`${code}failed:\n${stdout ?? ''}${stderr ?? ''}\nserver:\n${serverOutput}`);
    }
  };

  it('opens, updates and closes a preview as the README says', { timeout: 300_000 }, async () => {
    expect(blocks).toHaveLength(5);
    const [start, makeApp, open, push, close] = blocks as [string, string, string, string, string];

    server = spawn('bash', ['-e', '-c', start], { cwd: copy, env, detached: true });
    server.stdout?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    await waitFor(
      () => serverOutput.includes('  listening  ') || server?.exitCode !== null,
      120_000,
      'the banner',
    );
    expect(server.exitCode, serverOutput).toBeNull();
    // The banner says where previews run: outside the checkout, whose package.json they must not see; in
    // HOME's cache, or, under root (each preview under a uid of its own, which cannot pass the private HOME),
    // in the system's temporary folder.
    const worktrees = /\(worktrees in ([^)]+)\)/.exec(serverOutput)?.[1] ?? '';
    expect(path.relative(copy, worktrees).startsWith('..'), serverOutput).toBe(true);
    const expectedParent =
      process.getuid?.() === 0 ? tmpdir() : path.join(env.HOME ?? '', '.cache', 'glimpse');
    expect(worktrees.startsWith(`${expectedParent}/`), serverOutput).toBe(true);

    await shell(makeApp, base);

    const opened = await shell(open, copy);
    expect(promisedOutputs(open)).toEqual(['hello from v1']);
    expect(lastLine(opened)).toBe('hello from v1');
    // The preview's source lies outside the checkout and its data dir.
    const { stdout: inside } = await run('find', [
      copy,
      '-name',
      'server.js',
      '-not',
      '-path',
      '*/node_modules/*',
    ]);
    expect(inside).toBe('');

    const pushed = await shell(push, copy);
    expect(promisedOutputs(push)).toEqual(['hello from v2']);
    expect(lastLine(pushed)).toBe('hello from v2');

    await shell(close, copy);
    const gone = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', openUrl(open)]);
    expect(gone.stdout).toBe('404');
  });
});

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

function openUrl(code: string): string {
  const url = code.match(/curl (\S+)/)?.[1];
  if (url === undefined) throw new Error('no curl in the block');
  return url;
}
