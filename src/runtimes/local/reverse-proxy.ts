import net from 'node:net';
import type { Logger } from 'pino';
import { namespaceFromHost } from './preview-host.ts';
import { type Destination, ProxyConnection, type ProxyContext } from './proxy-connection.ts';
import { notFoundPage, type UnavailableReason, unavailablePage } from './proxy-pages.ts';

/** Node's own server allows 60 s; a browser sends a whole head at once, so 10 s is plenty. */
export const DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 10_000;

/** Hosts whose namespace is remembered; past this many (a client inventing hosts), the memory starts over. */
const MAX_REMEMBERED_HOSTS = 1_000;

/** Where a preview's host goes: its current process, or a 503 page saying why there is none. */
export type ProxyRoute =
  | { kind: 'serving'; port: number }
  | { kind: 'unavailable'; reason: UnavailableReason };

/**
 * Routes `Host: <namespace>.<baseDomain>` to the preview's process on 127.0.0.1, HTTP/1.1 and
 * WebSocket upgrades alike (see `ProxyConnection` and docs/decisions/0012-connection-level-proxy.md).
 * A route can be switched at any time; requests already in flight finish against the port they
 * started on.
 */
export class ReverseProxy {
  readonly #baseDomain: string;
  readonly #publicUrl: string;
  readonly #logger: Logger;
  readonly #routes = new Map<string, ProxyRoute>();
  readonly #namespaces = new Map<string, string | undefined>();
  readonly #active = new Map<number, number>();
  readonly #connections = new Set<ProxyConnection>();
  readonly #context: ProxyContext;
  readonly #server: net.Server;

  constructor(options: {
    baseDomain: string;
    publicUrl: string;
    scheme: string;
    logger: Logger;
    /** How long a client may take to send a request head (default 10 s). */
    requestHeadTimeoutMs?: number;
    /** Told the status of every response sent to a client. */
    onAnswer?: ((status: number) => void) | undefined;
  }) {
    this.#baseDomain = options.baseDomain;
    this.#publicUrl = options.publicUrl;
    this.#logger = options.logger;
    this.#context = {
      scheme: options.scheme,
      requestHeadTimeoutMs: options.requestHeadTimeoutMs ?? DEFAULT_REQUEST_HEAD_TIMEOUT_MS,
      destination: (host) => this.#destination(host),
      portOf: (namespace) => {
        const route = this.#routes.get(namespace);
        return route?.kind === 'serving' ? route.port : undefined;
      },
      restartingPage: (namespace) =>
        unavailablePage(namespace, 'restarting', this.#environmentUrl(namespace)),
      started: (port) => this.#active.set(port, (this.#active.get(port) ?? 0) + 1),
      finished: (port) => this.#active.set(port, (this.#active.get(port) ?? 1) - 1),
      closed: (connection) => this.#connections.delete(connection),
      upstreamFailed: (namespace, code) => this.#logger.debug({ namespace, code }, 'preview did not answer'),
      answered: options.onAnswer ?? (() => {}),
    };
    // Half-open: a client may send its request and shut its side before the answer arrives.
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.#connections.add(new ProxyConnection(socket, this.#context));
    });
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
    for (const connection of this.#connections) connection.destroy();
    await closed;
  }

  #environmentUrl(namespace: string): string {
    return `${this.#publicUrl}/environments/${encodeURIComponent(namespace)}`;
  }

  #destination(host: string | undefined): Destination {
    const namespace = this.#namespaceOf(host);
    const route = namespace === undefined ? undefined : this.#routes.get(namespace);
    if (namespace === undefined || route === undefined) return { status: 404, html: notFoundPage() };
    if (route.kind === 'unavailable') {
      return { status: 503, html: unavailablePage(namespace, route.reason, this.#environmentUrl(namespace)) };
    }
    return { namespace, port: route.port };
  }

  /** `namespaceFromHost`, remembered: every request names its host, and most name one seen before. */
  #namespaceOf(host: string | undefined): string | undefined {
    if (host === undefined) return undefined;
    if (this.#namespaces.has(host)) return this.#namespaces.get(host);
    if (this.#namespaces.size >= MAX_REMEMBERED_HOSTS) this.#namespaces.clear();
    const namespace = namespaceFromHost(host, this.#baseDomain);
    this.#namespaces.set(host, namespace);
    return namespace;
  }
}
