import { describe, expect, it } from 'vitest';
import { FileTooLarge } from '../../src/domain/file-too-large.ts';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import { git } from './support/app-repo.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

/** How `.glimpse.yml` is read without a GitHub App (as `glimpse simulate` runs): from the repo's clone. */
describe('reading .glimpse.yml from a repository on the local runtime', () => {
  const suite = setupRuntimeSuite('repo-files', { commit: 'v2' });

  const read = (ref: string) =>
    suite.runtime.readRepoFile({
      repoFullName: 'acme/files',
      cloneUrl: `file://${suite.repo.dir}`,
      token: undefined,
      prNumber: 1,
      ref,
      path: '.glimpse.yml',
    });

  it('reads it at a commit or at a branch, and says when it is absent', async () => {
    const sha = suite.repo.commit('v3', { '.glimpse.yml': 'local:\n  start: node server.cjs\n' });
    expect(await read(sha)).toBe('local:\n  start: node server.cjs\n');
    expect(await read('main')).toBe('local:\n  start: node server.cjs\n');
    git(suite.repo.dir, 'rm', '--quiet', '.glimpse.yml');
    git(suite.repo.dir, 'commit', '--quiet', '-m', 'no config');
    expect(await read('main')).toBeUndefined();
  });

  it('fails for good on a base branch that is not a valid name or does not exist, instead of retrying', async () => {
    for (const [ref, message] of [
      ['feature..x', /"feature\.\.x" is not a valid branch name/],
      ['has space', /"has space" is not a valid branch name/],
      ['-upload-pack=evil', /is not a valid branch name/],
      ['no-such-branch', /acme\/files has no branch "no-such-branch"/],
    ] as const) {
      const failure = await read(ref).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure, ref).toBeInstanceOf(RuntimeFailure);
      expect((failure as RuntimeFailure).transient, ref).toBe(false);
      expect((failure as RuntimeFailure).message, ref).toMatch(message);
    }
  });

  it('refuses a file over 1 MB as too large, not as absent, whatever its size', async () => {
    for (const megabytes of [2, 17]) {
      suite.repo.commit(`big-${megabytes}`, {
        '.glimpse.yml': `# ${'x'.repeat(megabytes * 1024 * 1024)}\nlocal:\n  start: node server.cjs\n`,
      });
      const failure = await read('main').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure, `${megabytes} MB`).toBeInstanceOf(FileTooLarge);
      expect((failure as FileTooLarge).bytes).toBeGreaterThan(megabytes * 1024 * 1024);
    }
  });
});
