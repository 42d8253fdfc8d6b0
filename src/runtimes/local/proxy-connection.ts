import net from 'node:net';
import { BodyFramer } from './body-framer.ts';
import { ForwardedFields } from './forwarded-fields.ts';
import { parseRequestHead, type RequestHead } from './parse-request-head.ts';
import { pageResponse, refusedPage } from './proxy-pages.ts';
import { HEAD_END, MAX_HEAD_BYTES, ResponseReader } from './response-reader.ts';

/** Where a request goes: a preview's port, or a page the proxy answers with itself. */
export type Destination = { namespace: string; port: number } | { status: number; html: string };

/** What a client connection needs from the proxy that accepted it. */
export interface ProxyContext {
  scheme: string;
  /** How long a client may take to send a whole request head, from its first byte (slowloris guard). */
  requestHeadTimeoutMs: number;
  destination(host: string | undefined): Destination;
  /** The port `namespace` is served on now, if it is being served. */
  portOf(namespace: string): number | undefined;
  restartingPage(namespace: string): string;
  /** Count the requests in flight to each port, for `drain`. */
  started(port: number): void;
  finished(port: number): void;
  closed(connection: ProxyConnection): void;
  upstreamFailed(namespace: string, code: string | undefined): void;
  /** A response went to the client with this status (the app's, or a page of the proxy's own). */
  answered(status: number): void;
}

/** One request on the client's connection, from its head until its response and its body are done. */
interface Exchange {
  head: RequestHead;
  body: BodyFramer;
  /** Undefined for a page the proxy answers itself. */
  target: { namespace: string; port: number; reader: ResponseReader } | undefined;
  /** Something of the response went to the client: it can no longer be retried or replaced. */
  sent: boolean;
  responseDone: boolean;
  /** Sent on a connection that carried an earlier request (which the app may have just closed). */
  reused: boolean;
  retried: boolean;
}

/** Idle client connections close after this long, as node's own server does by default. */
const KEEP_ALIVE_MS = 5_000;
/** Past this many bytes of pipelined requests waiting their turn, the client is not read. */
const MAX_WAITING_BYTES = 256 * 1024;
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One client connection. Requests on it are handled one at a time (pipelined ones wait their turn),
 * each sent to the app over one connection to the app pinned to this client connection: its head is
 * parsed and rewritten, its body and the response are relayed as they come, parsed only enough to
 * find where each ends. Each request picks its port anew, so after a redeploy the next request on a
 * keep-alive connection goes to the new process while the one in flight finishes on the old one.
 */
export class ProxyConnection {
  readonly #client: net.Socket;
  readonly #ctx: ProxyContext;
  readonly #forwarded: ForwardedFields;
  #buffered: Buffer | undefined;
  #exchange: Exchange | undefined;
  #upstream: net.Socket | undefined;
  #upstreamPort = 0;
  /** Response bytes read from the app and not yet written to the client. */
  #toClient: Buffer[] = [];
  #processing = false;
  #clientEnded = false;
  /** The client's connection is being closed: nothing more is read from it. */
  #ending = false;
  #closed = false;
  /** Runs while a request head is arriving: a client that sends it too slowly gets a 408. */
  #headTimer: NodeJS.Timeout | undefined;
  readonly #onClientData = (chunk: Buffer) => {
    this.#buffered = this.#buffered === undefined ? chunk : Buffer.concat([this.#buffered, chunk]);
    this.#process();
  };

  constructor(client: net.Socket, ctx: ProxyContext) {
    this.#client = client;
    this.#ctx = ctx;
    this.#forwarded = new ForwardedFields({ address: client.remoteAddress ?? '', scheme: ctx.scheme });
    client.setTimeout(KEEP_ALIVE_MS);
    client.on('data', this.#onClientData);
    client.on('end', () => {
      this.#clientEnded = true;
      if (this.#exchange === undefined && this.#buffered === undefined) this.#end();
    });
    client.on('timeout', () => {
      if (this.#exchange === undefined || this.#ending) this.destroy();
    });
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHeadTimer();
    const exchange = this.#exchange;
    if (exchange?.target !== undefined && !exchange.responseDone) this.#ctx.finished(exchange.target.port);
    this.#exchange = undefined;
    this.#client.destroy();
    this.#upstream?.destroy();
    this.#ctx.closed(this);
  }

  /** Handles what the client sent: the next request head, or the body of the current request. */
  #process(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#buffered !== undefined && !this.#ending && !this.#closed) {
        const data = this.#buffered;
        const exchange = this.#exchange;
        if (exchange === undefined) {
          const end = data.indexOf(HEAD_END);
          if (end < 0) {
            if (data.length > MAX_HEAD_BYTES) this.#refuse(431);
            else this.#startHeadTimer();
            return;
          }
          this.#stopHeadTimer();
          this.#buffered = rest(data, end + HEAD_END.length);
          const head = parseRequestHead(data, end, this.#forwarded);
          if ('status' in head) this.#refuse(head.status);
          else this.#start(head);
        } else if (!exchange.body.done) {
          const taken = exchange.body.consume(data, 0);
          this.#buffered = rest(data, taken);
          if (
            taken > 0 &&
            exchange.target !== undefined &&
            this.#upstream?.write(data.subarray(0, taken)) === false
          ) {
            this.#client.pause();
          }
          if (exchange.body.invalid) {
            if (exchange.sent) this.destroy();
            else this.#refuse(400);
          } else if (exchange.body.done && exchange.responseDone) {
            this.#finish();
          }
        } else {
          // A pipelined request waits until the response before it is complete.
          if (data.length > MAX_WAITING_BYTES) this.#client.pause();
          return;
        }
      }
    } finally {
      this.#processing = false;
    }
  }

  #start(head: RequestHead): void {
    const destination = this.#ctx.destination(head.host);
    const body = new BodyFramer(head.body);
    if ('status' in destination) {
      this.#exchange = {
        head,
        body,
        target: undefined,
        sent: true,
        responseDone: true,
        reused: false,
        retried: false,
      };
      this.#answer(destination.status, destination.html);
      return;
    }
    const target = { namespace: destination.namespace, port: destination.port, reader: this.#reader(head) };
    this.#exchange = { head, body, target, sent: false, responseDone: false, reused: false, retried: false };
    this.#ctx.started(target.port);
    this.#sendHead(this.#exchange);
  }

  #reader(head: RequestHead): ResponseReader {
    const request = {
      head: head.method === 'HEAD',
      http10: head.http10,
      upgrade: head.upgrade,
      close: !head.keepAlive,
    };
    return new ResponseReader(request, this.#queueForClient, this.#ctx.answered);
  }

  readonly #queueForClient = (data: Buffer) => {
    if (this.#exchange !== undefined) this.#exchange.sent = true;
    this.#toClient.push(data);
  };

  /** What one read from the app gave the client, in one write: a head and its body are one send, not two. */
  #flushToClient(): void {
    const parts = this.#toClient;
    if (parts.length === 0) return;
    this.#toClient = [];
    this.#client.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
  }

  /** Sends the request head over the pinned connection, first opening one to the right port. */
  #sendHead(exchange: Exchange): void {
    const port = (exchange.target as { port: number }).port;
    if (this.#upstream !== undefined && this.#upstreamPort !== port) this.#dropUpstream();
    exchange.reused = this.#upstream !== undefined;
    const upstream = this.#upstream ?? this.#connect(port);
    upstream.write(exchange.head.forward);
  }

  #connect(port: number): net.Socket {
    const upstream = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let code: string | undefined;
    upstream.on('data', (chunk: Buffer) => {
      if (upstream === this.#upstream) this.#onUpstreamData(chunk);
    });
    upstream.on('drain', () => this.#client.resume());
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      code = error.code;
    });
    upstream.on('close', () => this.#onUpstreamClosed(upstream, code));
    this.#upstream = upstream;
    this.#upstreamPort = port;
    return upstream;
  }

  #dropUpstream(): void {
    this.#upstream?.destroy();
    this.#upstream = undefined;
  }

  #onUpstreamData(chunk: Buffer): void {
    const exchange = this.#exchange;
    const target = exchange?.target;
    if (exchange === undefined || target === undefined || exchange.responseDone) {
      // Bytes nobody asked for: the app's connection is out of step with this one.
      this.#dropUpstream();
      return;
    }
    const state = target.reader.read(chunk);
    this.#flushToClient();
    if (state === 'done') this.#responseDone(exchange, target.port, target.reader);
    else if (state === 'tunnel') this.#tunnel(exchange, target.port, target.reader);
    else if (state === 'invalid') this.#failResponse(exchange, target.namespace, 'invalid response');
    else if (this.#client.writableNeedDrain) {
      const upstream = this.#upstream;
      upstream?.pause();
      this.#client.once('drain', () => upstream?.resume());
    }
  }

  #onUpstreamClosed(upstream: net.Socket, code: string | undefined): void {
    if (upstream !== this.#upstream) return;
    this.#upstream = undefined;
    const exchange = this.#exchange;
    const target = exchange?.target;
    if (exchange === undefined || target === undefined || exchange.responseDone) return;
    if (code === undefined && target.reader.ended() === 'done') {
      this.#responseDone(exchange, target.port, target.reader);
      return;
    }
    // A pinned connection the app closed while idle, or a redeploy that just moved the route: the
    // request never reached an app that answers, so a request without a body can go again, once.
    const current = this.#ctx.portOf(target.namespace);
    const moved = current !== undefined && current !== target.port;
    const stale = exchange.reused && !target.reader.started;
    if (
      !exchange.sent &&
      !exchange.retried &&
      current !== undefined &&
      (moved || stale) &&
      RETRYABLE_METHODS.has(exchange.head.method) &&
      exchange.head.body.kind === 'none'
    ) {
      this.#ctx.finished(target.port);
      exchange.retried = true;
      exchange.target = { namespace: target.namespace, port: current, reader: this.#reader(exchange.head) };
      this.#ctx.started(current);
      this.#sendHead(exchange);
      return;
    }
    this.#failResponse(exchange, target.namespace, code);
  }

  /** The app failed this request: a 503 page if nothing was sent yet, else the client is cut off too. */
  #failResponse(exchange: Exchange, namespace: string, code: string | undefined): void {
    this.#ctx.upstreamFailed(namespace, code);
    this.#dropUpstream();
    if (exchange.sent || exchange.target === undefined) {
      this.destroy();
      return;
    }
    this.#ctx.finished(exchange.target.port);
    exchange.target = undefined;
    exchange.responseDone = true;
    exchange.sent = true;
    this.#answer(503, this.#ctx.restartingPage(namespace));
  }

  #responseDone(exchange: Exchange, port: number, reader: ResponseReader): void {
    exchange.responseDone = true;
    this.#ctx.finished(port);
    if (!reader.keepUpstream) this.#dropUpstream();
    if (reader.closeClient) {
      this.#end();
      return;
    }
    if (exchange.body.done) this.#finish();
  }

  /**
   * A page of the proxy's own. After a request with a body the connection closes: a client that sent
   * Expect: 100-continue may never send the body, and its next request must not be taken for it.
   */
  #answer(status: number, html: string): void {
    const exchange = this.#exchange as Exchange;
    const close = !exchange.head.keepAlive || !exchange.body.done;
    this.#ctx.answered(status);
    this.#client.write(pageResponse(status, html, { close, head: exchange.head.method === 'HEAD' }));
    if (close) this.#end();
    else if (exchange.body.done) this.#finish();
  }

  /** The exchange is over: the next pipelined request, if any, may start. */
  #finish(): void {
    this.#exchange = undefined;
    this.#client.resume();
    if (this.#buffered !== undefined) this.#process();
    else if (this.#clientEnded) this.#end();
  }

  /**
   * The idle timeout alone would let a client keep a connection for ever by sending one header line every
   * few seconds; the whole head must arrive within its deadline, as node's `headersTimeout` does.
   */
  #startHeadTimer(): void {
    if (this.#headTimer !== undefined || this.#ending) return;
    this.#headTimer = setTimeout(() => {
      this.#headTimer = undefined;
      if (this.#exchange === undefined && !this.#ending && !this.#closed) this.#refuse(408);
    }, this.#ctx.requestHeadTimeoutMs);
    this.#headTimer.unref();
  }

  #stopHeadTimer(): void {
    clearTimeout(this.#headTimer);
    this.#headTimer = undefined;
  }

  /** Refuses a request the proxy cannot read, and closes: what follows it cannot be trusted. */
  #refuse(status: number): void {
    this.#stopHeadTimer();
    if (this.#exchange?.target !== undefined && !this.#exchange.responseDone) {
      this.#ctx.finished(this.#exchange.target.port);
    }
    this.#exchange = undefined;
    this.#buffered = undefined;
    this.#ctx.answered(status);
    this.#client.write(pageResponse(status, refusedPage(status), { close: true, head: false }));
    this.#end();
  }

  /** Ends the client's connection once what was written is flushed; the app's goes at once. */
  #end(): void {
    this.#ending = true;
    this.#client.off('data', this.#onClientData);
    this.#client.end();
    this.#dropUpstream();
  }

  /** After a 101: bytes flow both ways unread until either side closes. */
  #tunnel(exchange: Exchange, port: number, reader: ResponseReader): void {
    const upstream = this.#upstream as net.Socket;
    this.#ctx.finished(port);
    exchange.responseDone = true;
    this.#client.off('data', this.#onClientData);
    upstream.removeAllListeners('data');
    upstream.removeAllListeners('drain');
    this.#client.setTimeout(0);
    upstream.on('close', () => this.#client.end());
    if (reader.rest !== undefined && reader.rest.length > 0) this.#client.write(reader.rest);
    if (this.#buffered !== undefined) upstream.write(this.#buffered);
    this.#buffered = undefined;
    this.#client.pipe(upstream).pipe(this.#client);
  }
}

function rest(data: Buffer, offset: number): Buffer | undefined {
  return offset >= data.length ? undefined : data.subarray(offset);
}
