import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRepo } from './support/app-repo.ts';
import { type Harness, hostOf, specFor, startHarness, tempDir } from './support/runtime-harness.ts';

/** Writes `text` on one raw connection and returns everything the proxy sent until it closed. */
function exchange(port: number, ...parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('local runtime: the proxy speaks HTTP/1.1', () => {
  const temp = tempDir('proxy-http');
  let h: Harness;
  let host: string;
  let other: string;

  beforeAll(async () => {
    const repo = createAppRepo(path.join(temp.dir, 'repo'));
    const sha = repo.commit('one');
    h = await startHarness(path.join(temp.dir, 'data'), { baseDomain: 'preview.test' });
    await h.runtime.deploy(specFor({ cloneUrl: repo.dir, commitSha: sha }), AbortSignal.timeout(20_000));
    await h.runtime.deploy(
      specFor({ cloneUrl: repo.dir, commitSha: sha, prNumber: 2 }),
      AbortSignal.timeout(20_000),
    );
    host = hostOf(h.runtime, 'pr-app-1');
    other = hostOf(h.runtime, 'pr-app-2');
  });

  afterAll(async () => {
    await h?.runtime.close();
    temp.remove();
  });

  it('sets X-Forwarded-* on every request of a keep-alive connection, not only the first', async () => {
    const reply = await exchange(
      h.runtime.proxyPort,
      `GET /headers HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil\r\n\r\n`,
      `GET /headers HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil\r\nConnection: close\r\n\r\n`,
    );
    const bodies = reply.split('\r\n\r\n').filter((part) => part.startsWith('{'));
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      const headers = JSON.parse(body.slice(0, body.lastIndexOf('}') + 1));
      expect(headers['x-forwarded-host']).toBe(host);
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers.connection).not.toBe('close');
    }
  });

  it('routes each request by its own Host when a client changes Host mid-connection', async () => {
    const reply = await exchange(
      h.runtime.proxyPort,
      `GET /env HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /env HTTP/1.1\r\nHost: ${other}\r\nConnection: close\r\n\r\n`,
    );
    expect(reply.match(/"GLIMPSE_PR_NUMBER":"(\d)"|pr-app-\d/g)?.join(' ')).toMatch(/1.*2/);
  });

  it('answers pipelined requests in order', async () => {
    const request = (p: string, close = false) =>
      `GET ${p} HTTP/1.1\r\nHost: ${host}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
    const reply = await exchange(
      h.runtime.proxyPort,
      request('/health') + request('/') + request('/health', true),
    );
    expect(reply.match(/HTTP\/1\.1 200/g)).toHaveLength(3);
    expect(reply.indexOf('version=one')).toBeGreaterThan(reply.indexOf('ok'));
    expect(reply.endsWith('ok')).toBe(true);
  });

  it('relays chunked and Content-Length request bodies, and Expect: 100-continue', async () => {
    const reply = await exchange(
      h.runtime.proxyPort,
      `POST /echo HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`,
      '6;x=y\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n',
      `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      'abcd',
    );
    // The echo app answers chunked, so the bodies come back as chunks.
    expect(reply).toContain('5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    expect(reply).toContain('HTTP/1.1 100 Continue\r\n\r\n');
    expect(reply.endsWith('4\r\nabcd\r\n0\r\n\r\n')).toBe(true);
  });

  it('sends no body for HEAD, and keeps the connection usable after it', async () => {
    const reply = await exchange(
      h.runtime.proxyPort,
      `HEAD / HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    expect(reply).not.toContain('version=one');
    expect(reply.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(reply.endsWith('ok')).toBe(true);
  });

  it('refuses framing the app could read differently (Content-Length with Transfer-Encoding)', async () => {
    const reply = await exchange(
      h.runtime.proxyPort,
      `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /env HTTP/1.1\r\n\r\n`,
    );
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    expect(reply).not.toContain('GLIMPSE');
  });

  it('closes an HTTP/1.0 exchange after the response and answers an unknown host with 404', async () => {
    const reply = await exchange(h.runtime.proxyPort, `GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    expect(reply).toContain('version=one');
    expect(reply).not.toMatch(/transfer-encoding/i);
    const missing = await exchange(
      h.runtime.proxyPort,
      'GET / HTTP/1.1\r\nHost: pr-nope-1.preview.test\r\nConnection: close\r\n\r\n',
    );
    expect(missing.startsWith('HTTP/1.1 404')).toBe(true);
  });
});
