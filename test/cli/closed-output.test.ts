import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = path.resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('glimpse writing into a pipe whose reader is gone', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-pipe-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('finishes quietly with exit code 0, as `glimpse env ls | head` should', {
    timeout: 60_000,
  }, async () => {
    // `true` exits at once, long before glimpse writes: every write meets a closed pipe (EPIPE).
    const { stdout, stderr } = await run(
      'bash',
      ['--norc', '-c', `set -o pipefail; "$NODE" "$MAIN" env ls | true; echo "exit=$?"`],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          NODE: process.execPath,
          MAIN,
          GLIMPSE_DATA_DIR: dataDir,
        },
      },
    );
    expect(stderr).toBe('');
    expect(stdout).toBe('exit=0\n');
  });
});
