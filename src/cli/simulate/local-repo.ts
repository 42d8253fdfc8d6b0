import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { InvalidInput } from '../../domain/errors.ts';

const run = promisify(execFile);

/** A git repository on this machine, described the way a webhook describes a GitHub repository. */
export interface LocalRepo {
  /** A stable made-up GitHub id for this path. */
  id: number;
  fullName: string;
  cloneUrl: string;
  headSha: string;
  branch: string;
}

export async function describeLocalRepo(repoPath: string): Promise<LocalRepo> {
  const dir = path.resolve(repoPath);
  const git = async (...args: string[]) => (await run('git', ['-C', dir, ...args])).stdout.trim();
  let headSha: string;
  try {
    headSha = await git('rev-parse', 'HEAD');
  } catch {
    throw new InvalidInput(`${dir} is not a git repository with a commit: run "git init" and commit first.`);
  }
  const branch = await git('rev-parse', '--abbrev-ref', 'HEAD').catch(() => 'HEAD');
  const name = path.basename(dir).replace(/[^A-Za-z0-9._-]/g, '-') || 'repo';
  const id = createHash('sha256').update(dir).digest().readUInt32BE(0) & 0x7fffffff;
  return {
    id,
    fullName: `local/${name}`,
    cloneUrl: pathToFileURL(dir).href,
    headSha,
    branch: branch === 'HEAD' ? 'main' : branch,
  };
}
