import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInput } from '../../domain/errors.ts';
import { choosePreviewRoot, inheritedFilesAbove } from './preview-root.ts';

describe('choosePreviewRoot', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'glimpse-root-'));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('keeps worktrees in the data dir when nothing above it would be picked up', async () => {
    const dataDir = path.join(base, 'data');
    expect(await choosePreviewRoot({ dataDir, spareDirs: [path.join(base, 'cache')] })).toEqual({
      root: path.join(dataDir, 'local'),
      base: dataDir,
      skipped: [],
    });
  });

  it('moves them to a spare folder when previews under their own uids could not pass above the data dir', async () => {
    const closed = path.join(base, 'home');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    await chmod(base, 0o711);
    const dataDir = path.join(closed, '.glimpse');
    const spare = path.join(base, 'spare');
    expect((await choosePreviewRoot({ dataDir, spareDirs: [spare] })).base).toBe(dataDir);
    const chosen = await choosePreviewRoot({ dataDir, spareDirs: [spare], othersMustPass: true });
    expect(chosen.base).toBe(spare);
    expect(chosen.skipped).toEqual([
      { dir: path.join(dataDir, 'local'), found: [`${closed} (mode 700: other users cannot pass)`] },
    ]);
  });

  it('moves them to a spare folder when the data dir lies inside a Node project', async () => {
    const checkout = path.join(base, 'glimpse');
    await mkdir(path.join(checkout, 'node_modules'), { recursive: true });
    await writeFile(path.join(checkout, 'package.json'), '{"type":"module"}');
    const dataDir = path.join(checkout, '.glimpse');
    const chosen = await choosePreviewRoot({ dataDir, spareDirs: [path.join(base, 'cache', 'glimpse')] });
    expect(path.dirname(chosen.root)).toBe(path.join(base, 'cache', 'glimpse'));
    expect(path.basename(chosen.root)).toMatch(/^glimpse-[0-9a-f]{10}$/);
    expect(chosen.skipped).toEqual([
      {
        dir: path.join(dataDir, 'local'),
        found: [path.join(checkout, 'node_modules'), path.join(checkout, 'package.json')],
      },
    ]);
    const other = await choosePreviewRoot({
      dataDir: path.join(checkout, 'other'),
      spareDirs: [path.join(base, 'cache', 'glimpse')],
    });
    expect(other.root).not.toBe(chosen.root);
  });

  it('passes over a spare folder with project files above it, and refuses when none is clean', async () => {
    await writeFile(path.join(base, 'tsconfig.json'), '{}');
    const error = await choosePreviewRoot({
      dataDir: path.join(base, 'data'),
      spareDirs: [path.join(base, 'cache')],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as Error).message).toContain(`lies under ${path.join(base, 'tsconfig.json')}`);
    expect((error as Error).message).toContain('Set GLIMPSE_DATA_DIR to a folder outside any project');
  });

  it('finds the files tools look up in every folder above, nearest first', async () => {
    const deep = path.join(base, 'a', 'b');
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(base, 'a', '.npmrc'), '');
    await writeFile(path.join(base, 'pyproject.toml'), '');
    await writeFile(path.join(base, 'a', 'README.md'), '');
    const found = await inheritedFilesAbove(deep);
    expect(found.slice(0, 2)).toEqual([path.join(base, 'a', '.npmrc'), path.join(base, 'pyproject.toml')]);
  });
});
