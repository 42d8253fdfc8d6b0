import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeLocalRepo } from '../../src/cli/simulate/local-repo.ts';
import { connectRepoPayload, pullRequestPayload } from '../../src/cli/simulate/simulated-deliveries.ts';
import { environmentName } from '../../src/domain/environment-name.ts';
import { createAppRepo } from '../../test/local-runtime/support/app-repo.ts';
import { signDelivery } from '../webhook-ingest/deliveries.ts';
import { postOnce } from '../webhook-ingest/load.ts';
import { BENCH_WEBHOOK_SECRET } from './bench-webhook-secret.ts';
import { nextMessage, startChild, stopChild } from './child-process.ts';
import type { ChildMessage, ParentMessage, PreviewTimeline } from './glimpse-process.ts';

/** Milliseconds from posting the `pull_request` delivery to each step (undefined: not seen). */
export interface FirstResponse {
  pr: number;
  webhookAnswered: number;
  claimed: number | undefined;
  configRead: number | undefined;
  worktreeReady: number | undefined;
  healthy: number | undefined;
  first2xx: number;
  /** Proxy answers before the first 2xx, by status (404 before the route exists, 503 while building). */
  earlierAnswers: Record<string, number>;
}

const POLL_MS = 10;
const FIRST_2XX_TIMEOUT_MS = 30_000;
const GLIMPSE_YML = 'local:\n  start: node server.cjs\n  health: /health\n';

/**
 * Starts Glimpse in its own process, connects a dependency-free app repo (file:// clone URL) with a signed
 * `installation_repositories` delivery, then for each PR number posts a signed `pull_request` `opened`
 * delivery and polls the preview's host through the proxy every 10 ms until it answers 2xx.
 */
export async function measureFirstResponses(prNumbers: readonly number[]): Promise<FirstResponse[]> {
  const temp = mkdtempSync(path.join(tmpdir(), 'glimpse-bench-'));
  try {
    return await measureIn(temp, prNumbers);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** The repo and Glimpse's data dir go under `temp`. */
async function measureIn(temp: string, prNumbers: readonly number[]): Promise<FirstResponse[]> {
  const repoDir = path.join(temp, 'preview-app');
  createAppRepo(repoDir).commit('v1', { '.glimpse.yml': GLIMPSE_YML });
  const repo = await describeLocalRepo(repoDir);
  // Removed by the caller once Glimpse has exited, so nothing it writes while stopping is left behind.
  const dataDir = path.join(temp, 'data');
  const { child, ready } = await startChild<ChildMessage>(
    new URL('./glimpse-process.ts', import.meta.url),
    [dataDir],
    { profile: false, readyMs: 60_000 },
  );
  const stop: ParentMessage = { type: 'stop' };
  try {
    const install = signDelivery(BENCH_WEBHOOK_SECRET, 'installation_repositories', connectRepoPayload(repo));
    const status = await postOnce(ready.webhookPort, install);
    if (status !== 200) throw new Error(`connecting the repository answered ${status}, expected 200`);
    const results: FirstResponse[] = [];
    for (const pr of prNumbers) {
      const namespace = environmentName(repo.fullName, pr);
      const delivery = signDelivery(
        BENCH_WEBHOOK_SECRET,
        'pull_request',
        pullRequestPayload(repo, 'opened', pr, new Date()),
      );
      const t0 = performance.now();
      const answered = postOnce(ready.webhookPort, delivery).then((outcome) => {
        if (outcome !== 202) throw new Error(`the pull_request delivery answered ${outcome}, expected 202`);
        return performance.now() - t0;
      });
      const polled = pollUntil2xx(ready.proxyPort, `${namespace}.localhost`);
      const [webhookAnswered, poll] = await Promise.all([answered, polled]);
      const first2xx = poll.at - t0;
      const timeline = await waitForRunning(child, namespace);
      const since = (epochMs: number | undefined) =>
        epochMs === undefined ? undefined : epochMs - (performance.timeOrigin + t0);
      results.push({
        pr,
        webhookAnswered,
        claimed: since(timeline.claimed),
        configRead: since(timeline.configRead),
        worktreeReady: since(timeline.worktreeReady),
        healthy: since(timeline.healthy),
        first2xx,
        earlierAnswers: poll.earlier,
      });
    }
    return results;
  } finally {
    await stopChild(child, stop, 30_000);
  }
}

/** GETs `/` with `host` every POLL_MS until a 2xx; returns when it came and what came before. */
export async function pollUntil2xx(
  port: number,
  host: string,
  timeoutMs = FIRST_2XX_TIMEOUT_MS,
): Promise<{ at: number; earlier: Record<string, number> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const earlier: Record<string, number> = {};
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      const sentAt = performance.now();
      const status = await get(agent, port, host);
      if (typeof status === 'number' && status >= 200 && status < 300)
        return { at: performance.now(), earlier };
      earlier[String(status)] = (earlier[String(status)] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + POLL_MS - performance.now())));
    }
  } finally {
    agent.destroy();
  }
  throw new Error(`${host} did not answer 2xx through the proxy within ${timeoutMs} ms`);
}

function get(agent: http.Agent, port: number, host: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.setTimeout(5_000, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve(error.message));
  });
}

/** The preview's timeline once the controller has recorded it as running (or what there is after 10 s). */
async function waitForRunning(child: ChildProcess, namespace: string): Promise<PreviewTimeline> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const answer = nextMessage<ChildMessage, 'timeline'>(child, 'timeline', 10_000);
    const ask: ParentMessage = { type: 'timeline', namespace };
    child.send(ask);
    const { timeline } = await answer;
    if (timeline.phaseRunning !== undefined || performance.now() > deadline) return timeline;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
