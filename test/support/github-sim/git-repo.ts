import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readObject } from './cat-file-batch.ts';

/** Reads a real local git repository with the git CLI, the way GitHub would serve it. */
const run = promisify(execFile);

async function git(gitDir: string, args: string[]): Promise<Buffer | undefined> {
  try {
    const { stdout } = await run('git', ['-C', gitDir, ...args], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } catch {
    return undefined;
  }
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const CACHED_READS = 2_000;
/**
 * What a commit holds never changes, so reads by full sha are answered from memory after the first: a git
 * process per request would make the simulator, not Glimpse, the bottleneck of the scale benchmark.
 */
const readsBySha = new Map<string, Promise<unknown>>();

function cachedBySha<T>(
  key: string,
  sha: string,
  read: () => Promise<T | undefined>,
): Promise<T | undefined> {
  if (!FULL_SHA.test(sha)) return read();
  const cached = readsBySha.get(key) as Promise<T | undefined> | undefined;
  if (cached !== undefined) return cached;
  const reading = read();
  readsBySha.set(key, reading);
  if (readsBySha.size > CACHED_READS) readsBySha.delete(readsBySha.keys().next().value as string);
  // A failed or empty read is not remembered: the sha may be pushed a moment later.
  const forget = () => readsBySha.delete(key);
  void reading.then((found) => found === undefined && forget(), forget);
  return reading;
}

/** The commit sha a branch, tag or sha resolves to, or undefined. */
export async function revParse(gitDir: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  // A full sha names the same commit forever; a branch is resolved anew each time.
  if (FULL_SHA.test(ref))
    return cachedBySha(
      `rev\0${gitDir}\0${ref}`,
      ref,
      async () => (await readObject(gitDir, `${ref}^{commit}`))?.sha,
    );
  const out = await git(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return out?.toString('utf8').trim() || undefined;
}

export type GitObject =
  | { type: 'blob'; sha: string; content: Buffer }
  | { type: 'tree'; sha: string; entries: GitTreeEntry[] };

export interface GitTreeEntry {
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  name: string;
  size: number;
}

/** What `path` is at the commit `sha` (a full sha: resolve a branch with `revParse` first). */
export function readPath(gitDir: string, sha: string, path: string): Promise<GitObject | undefined> {
  if (!FULL_SHA.test(sha)) return Promise.resolve(undefined);
  return cachedBySha(`path\0${gitDir}\0${sha}\0${path}`, sha, () => readPathOnce(gitDir, sha, path));
}

async function readPathOnce(gitDir: string, sha: string, path: string): Promise<GitObject | undefined> {
  const found = await readObject(gitDir, `${sha}:${path}`);
  if (found === undefined) return undefined;
  const { type, sha: objectSha } = found;
  if (type === 'blob') return { type: 'blob', sha: objectSha, content: found.content };
  if (type === 'tree') {
    const listing = (await git(gitDir, ['ls-tree', '-l', '-z', objectSha]))?.toString('utf8') ?? '';
    const entries = listing
      .split('\0')
      .filter(Boolean)
      .map((line): GitTreeEntry => {
        const [meta = '', name = ''] = line.split('\t');
        const [, kind, entrySha = '', size] = meta.split(/\s+/);
        const entryType = kind === 'tree' || kind === 'commit' ? kind : 'blob';
        return { type: entryType, sha: entrySha, name, size: Number(size) || 0 };
      });
    return { type: 'tree', sha: objectSha, entries };
  }
  return undefined;
}

export async function archive(gitDir: string, sha: string, prefix: string): Promise<Buffer | undefined> {
  return git(gitDir, ['archive', '--format=tar.gz', `--prefix=${prefix}`, sha]);
}

export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  message: string;
}

export async function readCommit(gitDir: string, sha: string): Promise<GitCommit | undefined> {
  const format = ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x00');
  const out = await git(gitDir, ['show', '-s', `--format=${format}`, sha]);
  if (!out) return undefined;
  const [hash = '', tree = '', parents = '', an = '', ae = '', ad = '', cn = '', ce = '', cd = '', ...rest] =
    out.toString('utf8').split('\0');
  return {
    sha: hash,
    tree,
    parents: parents.split(' ').filter(Boolean),
    authorName: an,
    authorEmail: ae,
    authorDate: new Date(ad).toISOString().replace('.000Z', 'Z'),
    committerName: cn,
    committerEmail: ce,
    committerDate: new Date(cd).toISOString().replace('.000Z', 'Z'),
    message: rest.join('\0').trimEnd(),
  };
}
