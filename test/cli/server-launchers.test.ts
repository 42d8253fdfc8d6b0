import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/cli/server-heap.ts';
import { GLIMPSE_VERSION } from '../../src/version.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/glimpse.js');

describe('the launchers of the server', () => {
  it('pass the server heap flags to node in npm start and npm run dev', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['start', 'dev']) {
      const words = (scripts[name] ?? '').split(' ');
      expect(words[0], name).toBe('node');
      const script = words.indexOf('src/cli/main.ts');
      expect(script, name).toBeGreaterThan(0);
      for (const flag of SERVER_NODE_FLAGS) expect(words.slice(1, script), name).toContain(flag);
    }
  });

  it('bin/glimpse.js passes them in its shebang, and runs through it', async () => {
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0] ?? '';
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    for (const flag of SERVER_NODE_FLAGS) expect(shebang.split(' ')).toContain(flag);
    // The node running the tests comes first on PATH, as npm's own scripts arrange.
    const env = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: ROOT };
    const { stdout } = await promisify(execFile)(BIN, ['--version'], { env });
    expect(stdout.trim()).toBe(GLIMPSE_VERSION);
  });

  it('the Dockerfile passes them in its ENTRYPOINT', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint).toBeDefined();
    const words = JSON.parse(entrypoint ?? '[]') as string[];
    expect(words[0]).toBe('node');
    for (const flag of SERVER_NODE_FLAGS) expect(words).toContain(flag);
  });
});
