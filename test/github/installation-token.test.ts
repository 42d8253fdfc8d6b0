import { afterEach, describe, expect, it } from 'vitest';
import { Unauthorized } from '../../src/domain/errors.ts';
import { type GithubFixture, startGithubFixture, TOKEN_ROUTE } from '../support/github-fixture.ts';

describe('installation tokens', () => {
  let fixture: GithubFixture;
  afterEach(async () => {
    fixture.sim.assertClean();
    await fixture.close();
  });

  it('requests one token and reuses it for later calls, also for concurrent callers', async () => {
    fixture = await startGithubFixture();
    const { github, repo, sim } = fixture;
    await Promise.all(Array.from({ length: 5 }, () => github.readFile(repo, '.glimpse.yml', 'main')));
    await github.readFile(repo, 'README.md', 'main');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(1);
    expect(sim.requestsTo('GET /repos/{owner}/{repo}/contents/{path}')).toHaveLength(6);
    expect(sim.requestsTo('GET /repos/{owner}/{repo}/contents/{path}').every((r) => r.status === 200)).toBe(
      true,
    );
  });

  it('refreshes the token 5 minutes before it expires, not earlier', async () => {
    let clock = Date.parse('2026-01-01T10:00:00Z');
    fixture = await startGithubFixture({ now: () => clock });
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(1);

    clock += 54 * 60_000 + 59_000; // 5 min 1 s before expiry
    await github.readFile(repo, 'README.md', 'main');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(1);

    clock += 2_000; // 4 min 59 s before expiry
    await github.readFile(repo, 'README.md', 'main');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(2);

    clock += 50 * 60_000; // the first token has expired; the new one is still fresh
    await expect(github.readFile(repo, 'README.md', 'main')).resolves.toBe('# web\n');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(2);
  });

  it('forgets a token GitHub rejects, so the next call gets a fresh one', async () => {
    fixture = await startGithubFixture();
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    sim.revokeTokens();
    await expect(github.readFile(repo, 'README.md', 'main')).rejects.toBeInstanceOf(Unauthorized);
    await expect(github.readFile(repo, 'README.md', 'main')).resolves.toBe('# web\n');
    expect(sim.requestsTo(TOKEN_ROUTE)).toHaveLength(2);
  });
});
