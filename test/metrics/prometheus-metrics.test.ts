import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRouteFamily } from '../../src/github/github-route-family.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhook-route.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import {
  type GlimpseHarness,
  getPreview,
  HARNESS_SECRET,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import {
  PROMTOOL,
  parseExposition,
  prometheusTestsEnabled,
  requirePrometheusBinary,
  type Sample,
  sampleValue,
  startPrometheus,
} from '../support/prometheus.ts';
import { runTool } from '../support/run-tool.ts';
import { databaseTargets } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { sendWebhook } from '../support/webhook-sender.ts';

const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';
const BROKEN_YML =
  'local:\n  build: echo the build broke && exit 4\n  start: node server.cjs\n  health: /health\n';
const FULL_NAME = 'acme/metered';

describe.each(databaseTargets())('Prometheus metrics of a scripted run (%s)', (target) => {
  let harness: GlimpseHarness;
  let repoDir: string;
  let app: AppRepo;
  let repo: PullRequestFields['repo'];
  let runtime: LocalRuntime;
  /** The scrape after the whole run: open, a crash, push, a failing push, close, and odd deliveries. */
  let final: { text: string; samples: Sample[] };
  let whileRunning: Sample[];

  const scrape = async () => {
    const response = await fetch(`${harness.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    return { text, samples: parseExposition(text) };
  };

  beforeAll(async () => {
    repoDir = mkdtempSync(path.join(tmpdir(), 'glimpse-metrics-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': GLIMPSE_YML });
    harness = await startGlimpseHarness(target);
    runtime = harness.runtime as LocalRuntime;
    const id = await harness.connectRepo(FULL_NAME, repoDir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` };

    const opened = await harness.pullRequest('opened', {
      repo,
      number: 1,
      sha: app.commit('v1-pr1'),
      updatedAt: '2024-01-01T00:00:00Z',
    });
    expect(opened.status).toBe(202);
    await harness.waitForPhase(1, 'running');
    expect((await getPreview(runtime, 'pr-metered-1')).status).toBe(200);
    expect((await getPreview(runtime, 'pr-nothing-9')).status).toBe(404);
    expect((await getPreview(runtime, 'pr-metered-1', '/crash')).status).toBe(200);
    const ref = { namespace: 'pr-metered-1', repoFullName: FULL_NAME, prNumber: 1 };
    await waitFor(async () => (await runtime.inspect(ref)).workloads[0]?.restarts === 1, 15_000, 'a restart');
    whileRunning = (await scrape()).samples;

    const pushed = app.commit('v2-pr1');
    await harness.pullRequest('synchronize', {
      repo,
      number: 1,
      sha: pushed,
      updatedAt: '2024-01-02T00:00:00Z',
    });
    await waitFor(
      async () => (await harness.environment(1)).deployedSha === pushed,
      30_000,
      'the push to run',
    );
    const broken = app.commit('v3-broken', { '.glimpse.yml': BROKEN_YML });
    await harness.pullRequest('synchronize', {
      repo,
      number: 1,
      sha: broken,
      updatedAt: '2024-01-03T00:00:00Z',
    });
    await harness.waitForPhase(1, 'failed');
    await harness.pullRequest('closed', { repo, number: 1, sha: broken, updatedAt: '2024-01-04T00:00:00Z' });
    await harness.waitForPhase(1, 'deleted');

    // GitHub sends a delivery again; someone posts without the secret; an event Glimpse does not act on.
    const url = `${harness.url}${WEBHOOK_PATH}`;
    const again = await sendWebhook({
      url,
      secret: HARNESS_SECRET,
      event: 'pull_request',
      rawBody: opened.sentBody,
      deliveryId: opened.deliveryId,
    });
    expect(again.body).toEqual({ duplicate: true });
    const unsigned = await sendWebhook({
      url,
      secret: 'not-the-secret-at-all',
      event: 'pull_request',
      action: 'opened',
    });
    expect(unsigned.status).toBe(401);
    const push = await harness.deliver('push', undefined, {});
    expect(push.body).toMatchObject({ ignored: expect.any(String) });

    // Leases are released once the last attempt's bookkeeping ends; the database's counts serve scrapes for
    // a second, so a run faster than that still sees the read made while the preview ran.
    final = await waitFor(async () => {
      const scraped = await scrape();
      const settled =
        sampleValue(scraped.samples, 'glimpse_leases_held') === 0 &&
        sampleValue(scraped.samples, 'glimpse_environments', { phase: 'deleted' }) === 1;
      return settled ? scraped : undefined;
    });
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
    rmSync(repoDir, { recursive: true, force: true });
  });

  it('counts webhook deliveries by event and outcome, and times their answers', () => {
    const deliveries = final.samples.filter((s) => s.name === 'glimpse_webhook_deliveries_total');
    expect(deliveries.map((s) => ({ ...s.labels, count: s.value }))).toEqual(
      expect.arrayContaining([
        { event: 'installation_repositories', outcome: 'applied', count: 1 },
        { event: 'pull_request', outcome: 'queued', count: 4 },
        { event: 'pull_request', outcome: 'duplicate', count: 1 },
        { event: 'pull_request', outcome: 'rejected', count: 1 },
        { event: 'other', outcome: 'ignored', count: 1 },
      ]),
    );
    expect(deliveries).toHaveLength(5);
    expect(sampleValue(final.samples, 'glimpse_webhook_answer_seconds_count', { outcome: 'queued' })).toBe(4);
    expect(
      sampleValue(final.samples, 'glimpse_webhook_answer_seconds_bucket', { outcome: 'queued', le: '+Inf' }),
    ).toBe(4);
  });

  it('counts the deploys started and finished, how long they took, and the time to running and to gone', () => {
    const local = { runtime: 'local' };
    expect(sampleValue(final.samples, 'glimpse_deploys_started_total', local)).toBe(3);
    expect(
      sampleValue(final.samples, 'glimpse_deploys_finished_total', { ...local, outcome: 'succeeded' }),
    ).toBe(2);
    expect(
      sampleValue(final.samples, 'glimpse_deploys_finished_total', { ...local, outcome: 'failed' }),
    ).toBe(1);
    expect(
      sampleValue(final.samples, 'glimpse_deploy_duration_seconds_count', { ...local, outcome: 'succeeded' }),
    ).toBe(2);
    expect(
      sampleValue(final.samples, 'glimpse_deploy_duration_seconds_bucket', {
        ...local,
        outcome: 'succeeded',
        le: '900',
      }),
    ).toBe(2);
    expect(sampleValue(final.samples, 'glimpse_webhook_to_running_seconds_count', local)).toBe(2);
    expect(sampleValue(final.samples, 'glimpse_cleanup_duration_seconds_count', local)).toBe(1);
    expect(sampleValue(final.samples, 'glimpse_cleanup_duration_seconds_sum', local)).toBeGreaterThan(0);
  });

  it('counts reconcile attempts, failures by reason class, and retries', () => {
    expect(sampleValue(final.samples, 'glimpse_reconcile_attempts_total', { action: 'deploy' })).toBe(3);
    expect(sampleValue(final.samples, 'glimpse_reconcile_attempts_total', { action: 'delete' })).toBe(1);
    expect(final.samples.filter((s) => s.name === 'glimpse_reconcile_failures_total')).toEqual([
      { name: 'glimpse_reconcile_failures_total', labels: { reason: 'runtime' }, value: 1 },
    ]);
    expect(sampleValue(final.samples, 'glimpse_reconcile_retries_total')).toBe(0);
  });

  it('reads environments by phase and the queue from the database, and this replica’s leases', () => {
    expect(sampleValue(whileRunning, 'glimpse_environments', { phase: 'running' })).toBe(1);
    expect(sampleValue(final.samples, 'glimpse_environments', { phase: 'running' })).toBe(0);
    expect(sampleValue(final.samples, 'glimpse_environments', { phase: 'deleted' })).toBe(1);
    expect(sampleValue(final.samples, 'glimpse_queue_depth')).toBe(0);
    expect(sampleValue(final.samples, 'glimpse_queue_oldest_waiting_seconds')).toBe(0);
    expect(sampleValue(final.samples, 'glimpse_leases_held')).toBe(0);
  });

  it('counts local preview processes, their restarts, and the proxy’s answers by status class', () => {
    expect(sampleValue(whileRunning, 'glimpse_local_preview_processes')).toBe(1);
    expect(sampleValue(whileRunning, 'glimpse_local_preview_restarts_total')).toBe(1);
    expect(sampleValue(final.samples, 'glimpse_local_preview_processes')).toBe(0);
    expect(sampleValue(final.samples, 'glimpse_local_proxy_requests_total', { status_class: '2xx' })).toBe(2);
    expect(sampleValue(final.samples, 'glimpse_local_proxy_requests_total', { status_class: '4xx' })).toBe(1);
  });

  it('counts every GitHub request by route family and status, as the simulator saw them', () => {
    const seen = new Map<string, number>();
    for (const request of harness.github.requests) {
      const key = `${githubRouteFamily(request.path)} ${request.status}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const counted = new Map(
      final.samples
        .filter((s) => s.name === 'glimpse_github_requests_total')
        .map((s) => [`${s.labels.route} ${s.labels.status}`, s.value]),
    );
    expect(counted).toEqual(seen);
    // One comment created, one deployment per successful push: real routes, not "other".
    expect(counted.get('issue_comments 201')).toBe(1);
    expect(counted.get('installation_token 201')).toBeGreaterThanOrEqual(1);
    expect(counted.get('deployments 201')).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(final.samples, 'glimpse_github_rate_limit_remaining', { resource: 'core' }),
    ).toBeGreaterThan(0);
  });

  it('never labels a series with a PR number, namespace, sha or repository', () => {
    const labelValues = final.samples.flatMap((s) => Object.values(s.labels));
    for (const value of labelValues) {
      expect(value).not.toMatch(/pr-metered|acme|metered|^[0-9a-f]{40}$/);
    }
    expect(final.samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
    expect(final.samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it.skipIf(!prometheusTestsEnabled)('passes promtool check metrics', async () => {
    const result = await runTool(requirePrometheusBinary(PROMTOOL), ['check', 'metrics'], {
      stdin: final.text,
    });
    expect(result.stderr + result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  it.skipIf(!prometheusTestsEnabled)(
    'is scraped by a real Prometheus, whose PromQL answers with the deploys of the run',
    async () => {
      const prometheus = await startPrometheus({ target: new URL(harness.url).host });
      try {
        const deploys = await waitFor(
          async () => {
            const result = await prometheus.query(
              'sum by (outcome) (glimpse_deploys_finished_total{runtime="local"})',
            );
            return result.length === 2 ? result : undefined;
          },
          60_000,
          'Prometheus to have scraped the deploys',
        );
        expect(Object.fromEntries(deploys.map((r) => [r.metric.outcome, r.value]))).toEqual({
          succeeded: 2,
          failed: 1,
        });
        const up = await prometheus.query('up{job="glimpse"}');
        expect(up.map((r) => r.value)).toEqual([1]);
      } finally {
        await prometheus.close();
      }
    },
    90_000,
  );
});
