import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitRepoFixture {
  dir: string;
  /** Writes the files on `branch` (created from main when new), commits, returns the sha. */
  commit(files: Record<string, string>, options?: { branch?: string; message?: string }): string;
  remove(): void;
}

/** A real git repository in a temp directory with an initial commit on `main`. */
export function createGitRepo(files: Record<string, string>): GitRepoFixture {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'Test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
      },
    }).trim();
  git('init', '-q', '-b', 'main');
  const commit: GitRepoFixture['commit'] = (changes, options = {}) => {
    const branch = options.branch ?? 'main';
    const current = git('symbolic-ref', '--short', 'HEAD');
    const exists = git('branch', '--list', branch) !== '';
    if (current !== branch) git('checkout', '-q', ...(exists ? [branch] : ['-b', branch, 'main']));
    for (const [path, content] of Object.entries(changes)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', options.message ?? 'change');
    return git('rev-parse', 'HEAD');
  };
  commit(files, { message: 'initial' });
  return { dir, commit, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
