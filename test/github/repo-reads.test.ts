import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { Unauthorized, Unavailable } from '../../src/domain/errors.ts';
import { FileTooLarge } from '../../src/domain/file-too-large.ts';
import { type GithubFixture, TOKEN_ROUTE, useGithubFixture } from '../support/github-fixture.ts';
import { GRAPHQL_TEXT_LIMIT } from '../support/github-sim/graphql-route.ts';

const CONTENTS_ROUTE = 'GET /repos/{owner}/{repo}/contents/{path}';

describe('reading repositories through the GitHub client', () => {
  const fixtureOf = useGithubFixture();
  let fixture: GithubFixture;
  beforeEach(() => {
    fixture = fixtureOf();
  });

  it('reads a file at a ref from the real git repository, and undefined when absent', async () => {
    const { git, github, repo } = fixture;
    const sha = git.commit({ '.glimpse.yml': 'port: 8080\n' }, { branch: 'feature' });
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).resolves.toBe('port: 3000\n');
    await expect(github.readFile(repo, '.glimpse.yml', 'feature')).resolves.toBe('port: 8080\n');
    await expect(github.readFile(repo, '.glimpse.yml', sha)).resolves.toBe('port: 8080\n');
    await expect(github.readFile(repo, 'missing.yml', 'main')).resolves.toBeUndefined();
    await expect(github.readFile(repo, '.glimpse.yml', 'no-such-branch')).resolves.toBeUndefined();
  });

  it('reads many files, each at its own ref, in one GraphQL request', async () => {
    const { git, github, repo, sim } = fixture;
    const first = git.commit({ '.glimpse.yml': 'port: 1\n' }, { branch: 'one' });
    const second = git.commit({ '.glimpse.yml': 'port: 2\n', 'dir/a.txt': 'a' }, { branch: 'two' });
    const answers = await github.readFiles(repo, [
      { path: '.glimpse.yml', ref: first },
      { path: '.glimpse.yml', ref: second },
      { path: '.glimpse.yml', ref: 'main' },
      { path: 'missing.yml', ref: second },
      { path: 'dir', ref: second },
      { path: '.glimpse.yml', ref: '0'.repeat(40) },
    ]);
    expect(answers).toEqual(['port: 1\n', 'port: 2\n', 'port: 3000\n', undefined, undefined, undefined]);
    expect(sim.requests.map((r) => r.route)).toEqual([TOKEN_ROUTE, 'POST /graphql']);
  });

  it('falls back to the contents API for a file GraphQL only gives truncated', async () => {
    const { git, github, repo, sim } = fixture;
    const big = `# ${'x'.repeat(GRAPHQL_TEXT_LIMIT)}\nport: 9\n`;
    const sha = git.commit({ '.glimpse.yml': big }, { branch: 'big' });
    const [text] = await github.readFiles(repo, [{ path: '.glimpse.yml', ref: sha }]);
    expect(text).toBe(big);
    expect(sim.requestsTo(CONTENTS_ROUTE)).toHaveLength(1);
  });

  it('answers a file past 1 MB as too large, not absent, and the other files of the request all the same', async () => {
    const { git, github, repo } = fixture;
    const huge = git.commit({ '.glimpse.yml': `# ${'x'.repeat(2 * 1024 * 1024)}\n` }, { branch: 'huge' });
    const small = git.commit({ '.glimpse.yml': 'port: 4\n' }, { branch: 'small' });
    const [tooLarge, text] = await github.readFiles(repo, [
      { path: '.glimpse.yml', ref: huge },
      { path: '.glimpse.yml', ref: small },
    ]);
    expect(tooLarge).toBeInstanceOf(FileTooLarge);
    expect((tooLarge as FileTooLarge).bytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(text).toBe('port: 4\n');
    await expect(github.readFile(repo, '.glimpse.yml', huge)).rejects.toBeInstanceOf(FileTooLarge);
  });

  it('answers undefined for every file of a repository the installation cannot see', async () => {
    const { github, repo, sim } = fixture;
    const answers = await github.readFiles({ ...repo, repo: 'secret' }, [
      { path: '.glimpse.yml', ref: 'main' },
    ]);
    expect(answers).toEqual([undefined]);
    const [graphql] = sim.requestsTo('POST /graphql');
    expect(graphql?.status).toBe(200);
  });

  it('retries a GraphQL 5xx and reports one that persists as Unavailable', async () => {
    const { github, repo, sim } = fixture;
    sim.failNext('POST /graphql', 1, 502);
    await expect(github.readFiles(repo, [{ path: '.glimpse.yml', ref: 'main' }])).resolves.toEqual([
      'port: 3000\n',
    ]);
    sim.failNext('POST /graphql', 10, 503);
    await expect(github.readFiles(repo, [{ path: '.glimpse.yml', ref: 'main' }])).rejects.toBeInstanceOf(
      Unavailable,
    );
  });

  it('downloads the tarball of a commit, following the redirect like GitHub', async () => {
    const { git, github, repo, sim } = fixture;
    const sha = git.commit({ 'src/index.js': 'console.log(1)\n' }, { branch: 'feature' });
    const tarball = await github.downloadTarball(repo, sha);
    const tar = gunzipSync(tarball).toString('latin1');
    expect(tar).toContain(`acme-web-${sha.slice(0, 7)}/src/index.js`);
    expect(tar).toContain('console.log(1)');
    expect(sim.requestsTo('GET /repos/{owner}/{repo}/tarball/{ref}').map((r) => r.status)).toEqual([302]);
  });

  it.each([
    ['admin', true],
    ['maintain', true],
    ['write', true],
    ['triage', false],
    ['read', false],
    ['none', false],
  ] as const)('a collaborator with %s has write access: %s', async (permission, expected) => {
    fixture.sim.setPermission(fixture.fullName, 'alice', permission);
    await expect(fixture.github.hasWriteAccess(fixture.repo, 'alice')).resolves.toBe(expected);
  });

  it('lists all open pull request numbers across pages, and reads one', async () => {
    const { sim, github, repo, fullName, git } = fixture;
    git.commit({ 'x.txt': 'x' }, { branch: 'feature' });
    for (let i = 0; i < 105; i++) await sim.openPullRequest({ repo: fullName, headRef: 'feature' });
    sim.closePullRequest(fullName, 7);
    const numbers = await github.listOpenPullRequestNumbers(repo);
    expect(numbers).toHaveLength(104);
    expect(numbers).not.toContain(7);
    expect(sim.requestsTo('GET /repos/{owner}/{repo}/pulls')).toHaveLength(2);

    const pr = await github.getPullRequest(repo, 7);
    expect(pr).toMatchObject({ number: 7, state: 'closed', head: { ref: 'feature' }, base: { ref: 'main' } });
  });

  it('combines check runs and commit statuses by name', async () => {
    const { sim, github, repo, fullName, git } = fixture;
    const sha = git.commit({ 'y.txt': 'y' }, { branch: 'feature' });
    await expect(github.checkState(repo, sha)).resolves.toEqual({ state: 'none', checks: {} });
    sim.setCheckRun(fullName, sha, { name: 'build', status: 'completed', conclusion: 'success' });
    sim.setCheckRun(fullName, sha, { name: 'lint', status: 'in_progress', conclusion: null });
    sim.setCommitStatus(fullName, sha, { context: 'ci/test', state: 'success' });
    await expect(github.checkState(repo, sha)).resolves.toEqual({
      state: 'pending',
      checks: { build: 'success', lint: 'pending', 'ci/test': 'success' },
    });
    sim.setCommitStatus(fullName, sha, { context: 'ci/test', state: 'failure' });
    await expect(github.checkState(repo, sha)).resolves.toMatchObject({ state: 'failure' });
  });

  it('rejects a repo of another installation as unauthorized', async () => {
    const other = { ...fixture.repo, installationId: fixture.repo.installationId + 1 };
    await fixture.sim.addRepo({
      fullName: 'other/repo',
      gitDir: fixture.git.dir,
      installationId: other.installationId,
    });
    await expect(
      fixture.github.readFile(
        { ...fixture.repo, owner: 'other', repo: 'repo', installationId: fixture.repo.installationId },
        'README.md',
        'main',
      ),
    ).rejects.toBeInstanceOf(Unauthorized);
  });
});
