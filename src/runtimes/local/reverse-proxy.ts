import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { namespaceFromHost } from './preview-host.ts';
import { notFoundPage, type UnavailableReason, unavailablePage } from './proxy-pages.ts';

/** Where a preview's host goes: its current process, or a 503 page saying why there is none. */
export type ProxyRoute =
  | { kind: 'serving'; port: number }
  | { kind: 'unavailable'; reason: UnavailableReason };

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Routes `Host: <namespace>.<baseDomain>` to the preview's process on 127.0.0.1, for plain HTTP
 * (through a keep-alive agent) and WebSocket upgrades (piped sockets). A route can be switched at
 * any time; requests already in flight finish against the port they started on.
 */
export class ReverseProxy {
  readonly #baseDomain: string;
  readonly #publicUrl: string;
  readonly #scheme: string;
  readonly #logger: Logger;
  readonly #routes = new Map<string, ProxyRoute>();
  readonly #active = new Map<number, number>();
  readonly #tunnels = new Set<Duplex>();
  // Idle upstream sockets are dropped after 4 s, before the 5 s keep-alive timeout of node servers
  // (and many others) closes them under a request that was just sent.
  readonly #agent = new http.Agent({
    timeout: 4_000,
    keepAlive: true,
    maxSockets: 512,
    maxFreeSockets: 512,
    scheduling: 'lifo',
  });
  readonly #server: http.Server;

  constructor(options: { baseDomain: string; publicUrl: string; scheme: string; logger: Logger }) {
    this.#baseDomain = options.baseDomain;
    this.#publicUrl = options.publicUrl;
    this.#scheme = options.scheme;
    this.#logger = options.logger;
    this.#server = http.createServer((req, res) => this.#onRequest(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  setRoute(namespace: string, route: ProxyRoute): void {
    this.#routes.set(namespace, route);
  }

  deleteRoute(namespace: string): void {
    this.#routes.delete(namespace);
  }

  /** Resolves once no HTTP request to `port` is in flight, or after `maxMs`. */
  async drain(port: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while ((this.#active.get(port) ?? 0) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#tunnels) socket.destroy();
    this.#agent.destroy();
    await closed;
  }

  #environmentUrl(namespace: string): string {
    return `${this.#publicUrl}/environments/${encodeURIComponent(namespace)}`;
  }

  #resolve(host: string | undefined): { namespace: string; route: ProxyRoute } | undefined {
    const namespace = namespaceFromHost(host, this.#baseDomain);
    const route = namespace === undefined ? undefined : this.#routes.get(namespace);
    return namespace === undefined || route === undefined ? undefined : { namespace, route };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const target = this.#resolve(req.headers.host);
    if (target === undefined) {
      sendPage(res, 404, notFoundPage());
    } else if (target.route.kind === 'unavailable') {
      sendPage(
        res,
        503,
        unavailablePage(target.namespace, target.route.reason, this.#environmentUrl(target.namespace)),
      );
    } else {
      this.#forward(req, res, target.namespace, target.route.port, false);
    }
  }

  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    port: number,
    retried: boolean,
  ): void {
    this.#active.set(port, (this.#active.get(port) ?? 0) + 1);
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.#active.set(port, (this.#active.get(port) ?? 1) - 1);
    };
    const upstream = http.request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: this.#upstreamHeaders(req),
      agent: this.#agent,
    });
    upstream.on('response', (response) => {
      // Raw headers keep their case, order and repetitions (several Set-Cookie) as the app sent them.
      const raw = response.rawHeaders;
      const headers: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i] ?? '';
        if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, raw[i + 1] ?? '');
      }
      res.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
      response.pipe(res);
      response.on('end', done);
      response.on('error', () => res.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      done();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A pooled connection the app closed, or a redeploy that just moved the route: try once more.
      const current = this.#routes.get(namespace);
      const moved = current?.kind === 'serving' && current.port !== port;
      const stale = upstream.reusedSocket && error.code === 'ECONNRESET';
      if (
        !retried &&
        RETRYABLE_METHODS.has(req.method ?? '') &&
        (moved || stale) &&
        current?.kind === 'serving'
      ) {
        this.#forward(req, res, namespace, current.port, true);
        return;
      }
      this.#logger.debug({ namespace, code: error.code }, 'preview did not answer');
      sendPage(res, 503, unavailablePage(namespace, 'restarting', this.#environmentUrl(namespace)));
    });
    res.on('close', () => {
      done();
      if (!res.writableFinished) upstream.destroy();
    });
    // A request without a body (and a retried one: retries are limited to GET, HEAD, OPTIONS) is
    // complete once its headers are sent; anything else streams through.
    const bodyless =
      req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    if (retried || req.readableEnded || bodyless) {
      upstream.end();
      req.resume();
    } else {
      req.pipe(upstream);
    }
  }

  /**
   * The request's raw headers (case, order and repetitions kept) minus hop-by-hop ones, plus the
   * X-Forwarded trio. A flat [name, value, ...] list is written as is by node's http client.
   */
  #upstreamHeaders(req: IncomingMessage): string[] {
    const connection = req.headers.connection;
    // Headers named in Connection are hop-by-hop too (RFC 9110 7.6.1).
    const listed =
      connection === undefined || connection === 'keep-alive' || connection === 'close'
        ? undefined
        : new Set(
            connection
              .toLowerCase()
              .split(',')
              .map((t) => t.trim()),
          );
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] ?? '';
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || FORWARDED.has(lower) || listed?.has(lower) === true) continue;
      headers.push(name, raw[i + 1] ?? '');
    }
    // The body arrives decoded; node's client must frame it again (DELETE, say, is not chunked by default).
    if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined) {
      headers.push('transfer-encoding', 'chunked');
    }
    const forwarded = this.#forwardedHeaders(req);
    headers.push(
      'x-forwarded-for',
      forwarded['x-forwarded-for'] ?? '',
      'x-forwarded-proto',
      this.#scheme,
      'x-forwarded-host',
      forwarded['x-forwarded-host'] ?? '',
    );
    return headers;
  }

  #forwardedHeaders(req: IncomingMessage): Record<string, string> {
    const prior = req.headers['x-forwarded-for'];
    const client = req.socket.remoteAddress ?? '';
    return {
      'x-forwarded-for': prior ? `${prior}, ${client}` : client,
      'x-forwarded-proto': this.#scheme,
      'x-forwarded-host': req.headers.host ?? '',
    };
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = this.#resolve(req.headers.host);
    if (target === undefined || target.route.kind !== 'serving') {
      const status = target === undefined ? '404 Not Found' : '503 Service Unavailable';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = net.connect(target.route.port, '127.0.0.1');
    this.#tunnels.add(socket);
    this.#tunnels.add(upstream);
    let connected = false;
    const cleanup = () => {
      socket.destroy();
      upstream.destroy();
      this.#tunnels.delete(socket);
      this.#tunnels.delete(upstream);
    };
    upstream.on('connect', () => {
      connected = true;
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        if (!FORWARDED.has(name.toLowerCase())) text += `${name}: ${req.rawHeaders[i + 1]}\r\n`;
      }
      for (const [name, value] of Object.entries(this.#forwardedHeaders(req)))
        text += `${name}: ${value}\r\n`;
      upstream.write(`${text}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.setNoDelay(true);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => {
      if (!connected)
        socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      cleanup();
    });
    socket.on('error', cleanup);
    socket.on('close', cleanup);
    upstream.on('close', cleanup);
  }
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    ...(status === 503 ? { 'retry-after': '5' } : {}),
  });
  res.end(html);
}
