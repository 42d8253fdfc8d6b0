import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFound, Unavailable } from '../../src/domain/errors.ts';
import { GlimpseMetrics } from '../../src/metrics/glimpse-metrics.ts';
import { type GithubFixture, startGithubFixture } from '../support/github-fixture.ts';
import { parseExposition, sampleValue } from '../support/prometheus.ts';
import { virtualClock } from '../support/virtual-clock.ts';

const CONTENTS = 'GET /repos/{owner}/{repo}/contents/{path}';
const COMMENTS = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';

describe('GitHub client resilience', () => {
  let fixture: GithubFixture;
  afterEach(async () => {
    fixture.sim.assertClean();
    await fixture.close();
  });

  it('retries a 5xx and then succeeds', async () => {
    fixture = await startGithubFixture();
    const { github, repo, sim } = fixture;
    sim.failNext(CONTENTS, 2, 502);
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).resolves.toBe('port: 3000\n');
    expect(sim.requestsTo(CONTENTS).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('gives up with Unavailable when GitHub keeps failing', async () => {
    fixture = await startGithubFixture();
    const { github, repo, sim } = fixture;
    sim.failNext(CONTENTS, 10, 503);
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).rejects.toBeInstanceOf(Unavailable);
    expect(sim.requestsTo(CONTENTS)).toHaveLength(4);
  });

  it('translates a slow response past the timeout into Unavailable', async () => {
    fixture = await startGithubFixture({ app: { requestTimeoutMs: 200 } });
    const { github, repo, sim } = fixture;
    sim.slowNext(CONTENTS, 1_000, 10);
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).rejects.toBeInstanceOf(Unavailable);
  });

  it('maps a missing pull request to NotFound', async () => {
    fixture = await startGithubFixture();
    await expect(fixture.github.getPullRequest(fixture.repo, 999)).rejects.toBeInstanceOf(NotFound);
  });

  it.each([403, 429] as const)(
    'waits for the primary rate limit reset (%i), never retrying sooner',
    async (status) => {
      const clock = virtualClock();
      fixture = await startGithubFixture({ now: clock.now, app: { sleep: clock.sleep } });
      const { github, repo, sim } = fixture;
      await github.readFile(repo, 'README.md', 'main'); // token issued before the limit hits
      const { resetAt } = sim.exhaustRateLimit({ resetInSeconds: 120, status });
      await expect(github.readFile(repo, '.glimpse.yml', 'main')).resolves.toBe('port: 3000\n');
      const attempts = sim.requestsTo(CONTENTS).slice(1);
      expect(attempts.map((r) => r.status)).toEqual([status, 200]);
      expect(attempts[1]?.at).toBeGreaterThanOrEqual(resetAt * 1000);
      // One wait, up to the reset and a second of margin, not a minute more.
      expect(clock.sleeps).toHaveLength(1);
      expect(clock.sleeps[0]).toBeGreaterThanOrEqual(120_000);
      expect(clock.sleeps[0]).toBeLessThanOrEqual(121_000);
    },
  );

  it('fails with Unavailable instead of waiting for a reset too far away', async () => {
    const clock = virtualClock();
    fixture = await startGithubFixture({
      now: clock.now,
      app: { sleep: clock.sleep, maxRateLimitWaitSeconds: 60 },
    });
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    sim.exhaustRateLimit({ resetInSeconds: 3600 });
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).rejects.toBeInstanceOf(Unavailable);
    expect(clock.sleeps).toEqual([]);
    expect(sim.requestsTo(CONTENTS)).toHaveLength(2);
  });

  it('honours retry-after on a secondary rate limit', async () => {
    const clock = virtualClock();
    fixture = await startGithubFixture({ now: clock.now, app: { sleep: clock.sleep } });
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    sim.secondaryRateLimit({ route: CONTENTS, retryAfterSeconds: 90 });
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).resolves.toBe('port: 3000\n');
    const [limited, retried] = sim.requestsTo(CONTENTS).slice(1);
    expect([limited?.status, retried?.status]).toEqual([403, 200]);
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(90_000);
    expect(clock.sleeps).toEqual([90_000]);
  });

  it('gives up after two waits when the limit keeps coming back', async () => {
    const clock = virtualClock();
    fixture = await startGithubFixture({ now: clock.now, app: { sleep: clock.sleep } });
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    sim.secondaryRateLimit({ route: CONTENTS, retryAfterSeconds: 30, count: 3 });
    await expect(github.readFile(repo, '.glimpse.yml', 'main')).rejects.toBeInstanceOf(Unavailable);
    expect(
      sim
        .requestsTo(CONTENTS)
        .slice(1)
        .map((r) => r.status),
    ).toEqual([403, 403, 403]);
    expect(clock.sleeps).toEqual([30_000, 30_000]);
  });

  it('counts requests by route family and status, and the time waited on limits by kind', async () => {
    const clock = virtualClock();
    const metrics = new GlimpseMetrics();
    fixture = await startGithubFixture({
      now: clock.now,
      app: { sleep: clock.sleep, minWriteIntervalMs: 1_000, metrics },
    });
    const { github, repo, sim } = fixture;
    await github.readFile(repo, 'README.md', 'main');
    sim.secondaryRateLimit({ route: CONTENTS, retryAfterSeconds: 90 });
    sim.failNext(CONTENTS, 1, 502);
    await github.readFile(repo, '.glimpse.yml', 'main');
    const pr = await sim.openPullRequest({ repo: fixture.fullName, headRef: 'main' });
    await github.createComment(repo, pr, 'first');
    await github.createComment(repo, pr, 'second');
    const samples = parseExposition((await metrics.scrape()).body);
    const waited = (kind: string) =>
      sampleValue(samples, 'glimpse_github_rate_limit_wait_seconds_total', { kind });
    expect([waited('secondary'), waited('write_spacing'), waited('primary')]).toEqual([90, 1, undefined]);
    // Each answer GitHub gave, retries of a 5xx and of a rate limit included.
    const requests = (route: string, status: string) =>
      sampleValue(samples, 'glimpse_github_requests_total', { route, status });
    expect(sim.requestsTo(CONTENTS).map((r) => r.status)).toEqual([200, 403, 502, 200]);
    expect([requests('contents', '200'), requests('contents', '403'), requests('contents', '502')]).toEqual([
      2, 1, 1,
    ]);
    expect(requests('issue_comments', '201')).toBe(2);
    expect(requests('installation_token', '201')).toBe(1);
    expect(sampleValue(samples, 'glimpse_github_rate_limit_remaining', { resource: 'core' })).toBeGreaterThan(
      0,
    );
  });

  it('spaces writes by the minimum interval, and reads (GraphQL queries too) not at all', async () => {
    const clock = virtualClock();
    fixture = await startGithubFixture({
      now: clock.now,
      app: { sleep: clock.sleep, minWriteIntervalMs: 1_000 },
    });
    const { github, repo, sim } = fixture;
    const pr = await sim.openPullRequest({ repo: fixture.fullName, headRef: 'main' });
    await github.createComment(repo, pr, 'first');
    await github.readFile(repo, 'README.md', 'main');
    await github.readFiles(repo, [{ path: 'README.md', ref: 'main' }]);
    await github.createComment(repo, pr, 'second');
    const writes = sim.requestsTo(COMMENTS);
    expect(writes).toHaveLength(2);
    expect((writes[1]?.at ?? 0) - (writes[0]?.at ?? 0)).toBe(1_000);
    expect(clock.sleeps).toEqual([1_000]);
  });
});

describe('GitHub quota logging', () => {
  it('logs the remaining quota at debug, and warns once it runs low', async () => {
    const lines: Array<{ level: number; msg: string; remaining?: number }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const fixture = await startGithubFixture({ app: { logger } });
    try {
      await fixture.github.readFile(fixture.repo, 'README.md', 'main');
      const quota = lines.filter((l) => l.msg === 'github quota');
      expect(quota.at(-1)?.remaining).toBe(4999);
      expect(lines.some((l) => l.msg === 'github rate limit quota low')).toBe(false);

      fixture.sim.consumeRateLimit(4600);
      await fixture.github.readFile(fixture.repo, 'README.md', 'main');
      const low = lines.filter((l) => l.msg === 'github rate limit quota low');
      expect(low).toHaveLength(1);
      expect(low[0]).toMatchObject({ level: 40, remaining: 5000 - 4602 });
      fixture.sim.assertClean();
    } finally {
      await fixture.close();
    }
  });
});
