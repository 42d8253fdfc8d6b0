import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtimes/local/health-check.ts';
import { type GlimpseHarness, startGlimpseHarness } from '../support/glimpse-harness.ts';
import { databaseTargets } from '../support/test-database.ts';

const TOKEN = 'metrics-scrape-token-0123456789';

describe.each(databaseTargets())('where /metrics is served (%s)', (target) => {
  let harness: GlimpseHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers on the main port only with GLIMPSE_METRICS_TOKEN as a bearer token, when one is set', async () => {
    harness = await startGlimpseHarness(target, { env: { GLIMPSE_METRICS_TOKEN: TOKEN } });
    const url = `${harness.url}/metrics`;
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect(await without.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: TOKEN } })).status).toBe(401);
    const scraped = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toContain('# TYPE glimpse_deploys_started_total counter');
    expect(text).not.toContain(TOKEN);
  });

  it('answers only on GLIMPSE_METRICS_PORT when it is set, and stops listening there on close', async () => {
    const port = await freePort();
    harness = await startGlimpseHarness(target, { env: { GLIMPSE_METRICS_PORT: String(port) } });
    expect((await fetch(`${harness.url}/metrics`)).status).toBe(404);
    const own = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('# TYPE glimpse_webhook_deliveries_total counter');
    // Nothing else of Glimpse is reachable there.
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/environments`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
    await harness.close();
    harness = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
