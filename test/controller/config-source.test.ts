import { beforeEach, describe, expect, it } from 'vitest';
import { githubConfigSource } from '../../src/controller/config-source.ts';
import type { WorkItem } from '../../src/controller/work-item.ts';
import { type GithubFixture, INSTALLATION_ID, useGithubFixture } from '../support/github-fixture.ts';

/** Only the repo matters to a config read; the ref is passed alongside. */
function itemOf(fullName: string): WorkItem {
  return { repo: { fullName, installationId: INSTALLATION_ID } } as WorkItem;
}

describe('reading .glimpse.yml from GitHub', () => {
  const fixtureOf = useGithubFixture();
  let fixture: GithubFixture;
  beforeEach(() => {
    fixture = fixtureOf();
  });

  it('reads the configs of PRs deployed together in one request, each at its own commit', async () => {
    const { git, sim, github } = fixture;
    const shas = [1, 2, 3, 4, 5].map((n) =>
      git.commit({ '.glimpse.yml': `port: ${n}\n` }, { branch: `pr-${n}` }),
    );
    const source = githubConfigSource(github);
    await github.readFile(fixture.repo, 'README.md', 'main'); // the token, so only config reads follow
    sim.requests.length = 0;

    const texts = await Promise.all(shas.map((sha) => source.read(itemOf('acme/web'), sha)));

    expect(texts).toEqual(['port: 1\n', 'port: 2\n', 'port: 3\n', 'port: 4\n', 'port: 5\n']);
    expect(sim.requests.map((r) => r.route)).toEqual(['POST /graphql']);
  });

  it('does not hold a lone read back, and reads of two repositories go apart', async () => {
    const { sim, github } = fixture;
    await sim.addRepo({ fullName: 'acme/api', gitDir: fixture.git.dir, installationId: INSTALLATION_ID });
    const source = githubConfigSource(github);
    await expect(source.read(itemOf('acme/web'), 'main')).resolves.toBe('port: 3000\n');
    sim.requests.length = 0;
    const both = await Promise.all([
      source.read(itemOf('acme/web'), 'main'),
      source.read(itemOf('acme/api'), 'main'),
    ]);
    expect(both).toEqual(['port: 3000\n', 'port: 3000\n']);
    expect(sim.requests.map((r) => r.route)).toEqual(['POST /graphql', 'POST /graphql']);
  });
});
