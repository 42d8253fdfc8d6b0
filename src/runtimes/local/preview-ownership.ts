import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Hands a folder Glimpse made for a preview (its worktree after checkout, its HOME) to the preview's uid,
 * everything in it included, and closes it to everyone else (0700): other previews run under other uids.
 * Symbolic links are changed themselves, never followed.
 */
export async function giveToUid(dir: string, uid: number): Promise<void> {
  const entries = await readdir(dir, { recursive: true });
  await lchown(dir, uid, uid);
  await chmod(dir, 0o700);
  for (const entry of entries) await lchown(path.join(dir, entry), uid, uid);
}

/**
 * Before previews run under uids of their own: the way down from `base` (the data dir or the spare folder
 * the previews' root lies in, chosen so that every folder above it lets others through) to the worktrees
 * becomes traversable only (0711), clones and the shared HOME closed (0700), and the data dir Glimpse's
 * alone: when the root lies in it, its other entries are closed and it is only traversable; else 0700.
 */
export async function guardForPreviewUids(dataDir: string, root: string, base: string): Promise<void> {
  const data = path.resolve(dataDir);
  const inside = path.relative(data, root);
  const rootTop = inside.startsWith('..') ? undefined : inside.split(path.sep)[0];
  await chmod(data, rootTop === undefined ? 0o700 : 0o711);
  for (const name of await readdir(data)) {
    if (name === rootTop) continue;
    const file = path.join(data, name);
    const info = await lstat(file);
    if (!info.isSymbolicLink()) await chmod(file, info.mode & 0o700);
  }
  for (const dir of [base, ...foldersBetween(base, root), root]) await chmod(dir, 0o711);
  for (const name of ['repos', 'home']) await chmod(path.join(root, name), 0o700).catch(() => undefined);
  await chmod(path.join(root, 'previews'), 0o711);
}

/** The folders strictly between `top` and `dir` below it (none when `dir` is not below `top`). */
function foldersBetween(top: string, dir: string): string[] {
  const inside = path.relative(top, dir);
  if (inside === '' || inside.startsWith('..')) return [];
  const parts = inside.split(path.sep).slice(0, -1);
  return parts.map((_, index) => path.join(top, ...parts.slice(0, index + 1)));
}
