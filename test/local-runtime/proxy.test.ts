import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostOf, localConfig, request, specFor, waitFor } from './support/runtime-harness.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

describe('local runtime: reverse proxy', () => {
  const suite = setupRuntimeSuite('proxy', { commit: 'ws-1', runtime: { baseDomain: 'preview.test' } });

  beforeAll(async () => {
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha }),
      AbortSignal.timeout(20_000),
    );
  });

  it('answers an unknown host with a 404 page that reveals no other preview', async () => {
    for (const host of ['pr-nope-9.preview.test', 'preview.test', 'example.com', 'x.pr-app-1.preview.test']) {
      const reply = await request(suite.runtime.proxyPort, host);
      expect(reply.status).toBe(404);
      expect(reply.headers['content-type']).toContain('text/html');
      expect(reply.body).toContain('No preview here');
      expect(reply.body).not.toContain('pr-app-1');
      expect(reply.body).not.toContain('pr-nope-9');
    }
  });

  it('shows a 503 page linking to Glimpse while a preview is being built, then serves it', async () => {
    const config = localConfig({ build: 'sleep 1' });
    const deploying = suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 2, config }),
      AbortSignal.timeout(20_000),
    );
    const host = hostOf(suite.runtime, 'pr-app-2');
    await waitFor(async () => (await request(suite.runtime.proxyPort, host)).status === 503);
    const building = await request(suite.runtime.proxyPort, host);
    expect(building.body).toContain('This preview is being built');
    expect(building.body).toContain('href="http://glimpse.test:3000/environments/pr-app-2"');
    expect(building.headers['retry-after']).toBe('5');
    await deploying;
    expect((await request(suite.runtime.proxyPort, host)).status).toBe(200);
  });

  it('routes with and without the port and sets X-Forwarded-For, -Proto and -Host', async () => {
    const withPort = hostOf(suite.runtime, 'pr-app-1');
    expect(withPort).toBe(`pr-app-1.preview.test:${suite.runtime.proxyPort}`);
    const reply = await request(suite.runtime.proxyPort, withPort, '/headers');
    const headers = JSON.parse(reply.body) as Record<string, string>;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe(withPort);
    expect(headers.host).toBe(withPort);
    expect((await request(suite.runtime.proxyPort, 'pr-app-1.preview.test')).body).toContain('version=ws-1');
  });

  it('streams request and response bodies both ways', async () => {
    const body = 'payload-'.repeat(50_000);
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: suite.runtime.proxyPort,
          method: 'POST',
          path: '/echo',
          headers: { host: hostOf(suite.runtime, 'pr-app-1'), 'content-type': 'text/plain' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      // Two writes without a length: the body goes out chunked.
      req.write(body.slice(0, 1000));
      req.end(body.slice(1000));
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(body);
  });

  it('passes WebSocket upgrades through in both directions', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${suite.runtime.proxyPort}/socket`, {
      headers: { host: hostOf(suite.runtime, 'pr-app-1') },
    });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => socket.send('hello'));
      socket.on('message', (data) => {
        messages.push(String(data));
        if (messages.length === 1) socket.send('x'.repeat(300));
        else resolve();
      });
      socket.on('error', reject);
    });
    socket.close();
    expect(messages).toEqual(['echo ws-1: hello', `echo ws-1: ${'x'.repeat(300)}`]);
  });

  it('refuses a WebSocket upgrade for an unknown host', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${suite.runtime.proxyPort}/`, {
      headers: { host: 'pr-nope-1.preview.test' },
    });
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});
