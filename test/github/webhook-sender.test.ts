import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWebhookExample, sendWebhook } from '../support/webhook-sender.ts';

const SECRET = 'webhook-secret';

describe('webhook sender', () => {
  let server: Server;
  let url: string;
  const received: Array<{ headers: IncomingHttpHeaders; raw: Buffer }> = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw });
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
      const valid = given.length === expected.length && timingSafeEqual(given, expected);
      res.writeHead(valid ? 202 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ valid }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs and posts a real pull_request.synchronize payload with overrides merged in', async () => {
    const example = loadWebhookExample('pull_request', 'synchronize');
    const response = await sendWebhook({
      url,
      secret: SECRET,
      event: 'pull_request',
      action: 'synchronize',
      overrides: { number: 42, pull_request: { head: { sha: 'c'.repeat(40) } } },
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ valid: true });
    const last = received.at(-1);
    expect(last?.headers['x-github-event']).toBe('pull_request');
    expect(last?.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(last?.headers['content-type']).toBe('application/json');
    expect(last?.raw.toString()).toBe(response.sentBody);
    const payload = JSON.parse(response.sentBody) as typeof example & {
      pull_request: { head: { sha: string; ref: string }; title: string };
    };
    const original = example as typeof payload;
    expect(payload.action).toBe('synchronize');
    expect(payload.number).toBe(42);
    expect(payload.pull_request.head.sha).toBe('c'.repeat(40));
    expect(payload.pull_request.head.ref).toBe(original.pull_request.head.ref);
    expect(payload.pull_request.title).toBe(original.pull_request.title);
  });

  it('can send a bad signature, a raw body, a chosen delivery id and leave headers out', async () => {
    const bad = await sendWebhook({
      url,
      secret: SECRET,
      event: 'pull_request',
      action: 'opened',
      signature: 'sha256=00',
    });
    expect(bad.status).toBe(401);

    const raw = await sendWebhook({
      url,
      secret: SECRET,
      event: 'ping',
      rawBody: '{"zen":"Keep it simple"}',
      deliveryId: 'd-1',
    });
    expect(raw.status).toBe(202);
    expect(received.at(-1)?.raw.toString()).toBe('{"zen":"Keep it simple"}');
    expect(received.at(-1)?.headers['x-github-delivery']).toBe('d-1');

    const missing = await sendWebhook({
      url,
      secret: SECRET,
      event: 'pull_request',
      action: 'closed',
      omitHeaders: ['x-hub-signature-256', 'x-github-event'],
    });
    expect(missing.status).toBe(401);
    expect(received.at(-1)?.headers['x-github-event']).toBeUndefined();
    expect(received.at(-1)?.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('fails clearly for an event or action without examples', () => {
    expect(() => loadWebhookExample('pull_request', 'teleported')).toThrow(/no example/);
  });
});
