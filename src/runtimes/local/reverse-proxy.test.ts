import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './health-check.ts';
import { unavailablePage } from './proxy-pages.ts';
import { ReverseProxy } from './reverse-proxy.ts';

function get(port: number, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; raw: string[]; body: string }>(
    (resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host, ...headers }, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body }),
          );
        })
        .on('error', reject);
    },
  );
}

describe('ReverseProxy', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: ReverseProxy;
  let proxyPort: number;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.method !== 'GET') {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`));
        return;
      }
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-App', 'yes');
      res.end('from upstream');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    proxy = new ReverseProxy({
      baseDomain: 'localhost',
      publicUrl: 'https://glimpse.example.com',
      scheme: 'https',
      logger: pino({ level: 'silent' }),
    });
    proxyPort = await proxy.listen('127.0.0.1', 0);
  });

  afterAll(async () => {
    await proxy.close();
    upstream.close();
  });

  it('keeps repeated response headers and drops hop-by-hop request headers', async () => {
    proxy.setRoute('pr-a-1', { kind: 'serving', port: upstreamPort });
    const reply = await get(proxyPort, 'pr-a-1.localhost', {
      connection: 'keep-alive, x-secret-hop',
      'x-secret-hop': '1',
      te: 'trailers',
    });
    expect(reply.body).toBe('from upstream');
    expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(reply.headers['x-app']).toBe('yes');
    const headers = seen.at(-1) ?? {};
    expect(headers['x-secret-hop']).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(headers['x-forwarded-proto']).toBe('https');
  });

  it('re-frames a chunked body for methods node would not chunk by itself', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: proxyPort,
          method: 'DELETE',
          path: '/',
          headers: { host: 'pr-a-1.localhost', 'transfer-encoding': 'chunked' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.write('first,');
      req.end('second');
    });
    expect(reply).toBe('DELETE first,second');
  });

  it('replaces client-sent forwarding headers it owns (X-Forwarded-Port from the Host), appending to X-Forwarded-For', async () => {
    await get(proxyPort, 'pr-a-1.localhost', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-port': '1',
    });
    const headers = seen.at(-1) ?? {};
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-forwarded-host']).toBe('pr-a-1.localhost');
    // No port in the Host: the default of the proxy's scheme (https here, as behind a TLS terminator).
    expect(headers['x-forwarded-port']).toBe('443');
    await get(proxyPort, `pr-a-1.localhost:${proxyPort}`);
    expect(seen.at(-1)?.['x-forwarded-port']).toBe(String(proxyPort));
  });

  it('answers 503 with the restarting page when the process does not answer', async () => {
    proxy.setRoute('pr-b-2', { kind: 'serving', port: await freePort() });
    const reply = await get(proxyPort, 'pr-b-2.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('restarting');
    expect(reply.body).toContain('https://glimpse.example.com/environments/pr-b-2');
  });

  it('relays a response without length until the app closes, then closes the client connection', async () => {
    const raw = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Kind: raw\r\n\r\nstreamed until close'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    proxy.setRoute('pr-d-4', { kind: 'serving', port: (raw.address() as AddressInfo).port });
    const reply = await get(proxyPort, 'pr-d-4.localhost');
    raw.close();
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('streamed until close');
    expect(reply.headers.connection).toBe('close');
  });

  it('relays header bytes outside ASCII as they came, in the response and the request', async () => {
    const filename = Buffer.from('attachment; filename="café €.txt"', 'utf8');
    const received: Buffer[] = [];
    const raw = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (!Buffer.concat(received).includes('\r\n\r\n')) return;
        const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Disposition: ', 'latin1');
        socket.end(Buffer.concat([head, filename, Buffer.from('\r\n\r\nok', 'latin1')]));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    proxy.setRoute('pr-e-5', { kind: 'serving', port: (raw.address() as AddressInfo).port });
    const client = net.connect(proxyPort, '127.0.0.1');
    const request = Buffer.concat([
      Buffer.from('GET / HTTP/1.1\r\nHost: pr-e-5.localhost\r\nConnection: close\r\nX-Name: ', 'latin1'),
      filename,
      Buffer.from('\r\n\r\n', 'latin1'),
    ]);
    client.end(request);
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    raw.close();
    const response = Buffer.concat(chunks);
    expect(
      response.includes(Buffer.concat([Buffer.from('Content-Disposition: '), filename, Buffer.from('\r\n')])),
    ).toBe(true);
    expect(response.subarray(-2).toString()).toBe('ok');
    expect(Buffer.concat(received).includes(Buffer.concat([Buffer.from('X-Name: '), filename]))).toBe(true);
  });

  it('escapes the link it puts into a page', () => {
    const html = unavailablePage(
      'pr-c-3',
      'failed',
      'https://glimpse.example.com/"><script>alert(1)</script>',
    );
    expect(html).toContain('This preview failed');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#34;&#62;&#60;script&#62;');
  });
});

describe('ReverseProxy request head deadline', () => {
  it('answers 408 and closes a connection whose head trickles in one header line at a time', async () => {
    const proxy = new ReverseProxy({
      baseDomain: 'localhost',
      publicUrl: 'https://glimpse.example.com',
      scheme: 'http',
      logger: pino({ level: 'silent' }),
      requestHeadTimeoutMs: 1_500,
    });
    const port = await proxy.listen('127.0.0.1', 0);
    try {
      const client = net.connect(port, '127.0.0.1');
      const started = Date.now();
      client.write('GET / HTTP/1.1\r\nHost: pr-slow-1.localhost\r\n');
      // Each line comes well inside the 5 s idle timeout, so only a deadline on the whole head ends this.
      const trickle = setInterval(() => {
        if (!client.destroyed) client.write(`X-Slow-${Date.now()}: 1\r\n`);
      }, 300);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of client) chunks.push(chunk as Buffer);
      } finally {
        clearInterval(trickle);
      }
      const elapsed = Date.now() - started;
      expect(Buffer.concat(chunks).toString('latin1')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(8_000);
    } finally {
      await proxy.close();
    }
  });
});
