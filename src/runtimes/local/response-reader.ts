import { BodyFramer } from './body-framer.ts';
import { HOP_BY_HOP, headerLines, listTokens } from './header-lines.ts';

/** What the reader needs to know about the request the response answers. */
export interface AnsweredRequest {
  /** HEAD: the response has no body whatever its headers say. */
  head: boolean;
  /** An HTTP/1.0 client gets no 1xx responses and the connection closes after the response. */
  http10: boolean;
  upgrade: boolean;
  /** The client asked to close after this response. */
  close: boolean;
}

/** `more`: send more bytes; `done`: the response is complete; `tunnel`: a 101 switched protocols. */
export type ReadState = 'more' | 'done' | 'tunnel' | 'invalid';

export const HEAD_END = Buffer.from('\r\n\r\n');
/** Longer heads are refused, as node's own parser does past 16 KiB by default. */
export const MAX_HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const DIGITS = /^\d{1,15}$/;

/**
 * Reads one response from the app and hands `send` what goes to the client: the head with the
 * app's hop-by-hop headers dropped, then the body bytes as they are. It parses no more than it
 * must to know where the response ends, so that the next request on the client's connection (which
 * may go to another port after a redeploy) starts on a response boundary.
 */
export class ResponseReader {
  readonly #request: AnsweredRequest;
  readonly #send: (data: Buffer | string) => void;
  #pending: Buffer | undefined;
  #body: BodyFramer | undefined;
  #untilClose = false;
  #started = false;
  #closeClient: boolean;
  #keepUpstream = true;
  /** Bytes after the end of the response (a tunnel's first bytes after a 101). */
  rest: Buffer | undefined;

  readonly #onStatus: (status: number) => void;

  /** `onStatus` learns the status of the response (a 101, or the final one), once its head is read. */
  constructor(
    request: AnsweredRequest,
    send: (data: Buffer | string) => void,
    onStatus: (status: number) => void = () => {},
  ) {
    this.#request = request;
    this.#send = send;
    this.#onStatus = onStatus;
    this.#closeClient = request.close || request.http10;
  }

  /** Some byte of the response arrived (so a failure can no longer be retried or shown as a page). */
  get started(): boolean {
    return this.#started;
  }

  /** The client's connection must close after this response. */
  get closeClient(): boolean {
    return this.#closeClient;
  }

  /** The app's connection can carry another request once this response is complete. */
  get keepUpstream(): boolean {
    return this.#keepUpstream && !this.#untilClose;
  }

  read(chunk: Buffer): ReadState {
    this.#started = true;
    if (this.#body !== undefined) return this.#readBody(chunk, 0);
    if (this.#untilClose) {
      this.#send(chunk);
      return 'more';
    }
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    for (;;) {
      const end = data.indexOf(HEAD_END, offset);
      if (end < 0) {
        if (data.length - offset > MAX_HEAD_BYTES) return 'invalid';
        this.#pending = data.subarray(offset);
        return 'more';
      }
      this.#pending = undefined;
      const bodyStart = end + HEAD_END.length;
      const state = this.#readHead(data, offset, end, bodyStart);
      if (state === 'informational') {
        offset = bodyStart;
        continue;
      }
      if (state === 'tunnel') {
        this.rest = data.subarray(bodyStart);
        return 'tunnel';
      }
      if (state === 'invalid') return 'invalid';
      if (this.#untilClose) {
        if (bodyStart < data.length) this.#send(data.subarray(bodyStart));
        return 'more';
      }
      return this.#readBody(data, bodyStart);
    }
  }

  /** The app closed its connection: that ends a body delimited by closing, and cuts off any other. */
  ended(): ReadState {
    return this.#untilClose ? 'done' : 'invalid';
  }

  #readBody(data: Buffer, start: number): ReadState {
    const body = this.#body as BodyFramer;
    const taken = body.consume(data, start);
    if (taken > 0)
      this.#send(start === 0 && taken === data.length ? data : data.subarray(start, start + taken));
    if (body.invalid) return 'invalid';
    if (!body.done) return 'more';
    if (start + taken < data.length) {
      // The app sent more than the response it was asked for: its connection is out of step.
      this.#keepUpstream = false;
      this.rest = data.subarray(start + taken);
    }
    return 'done';
  }

  #readHead(
    data: Buffer,
    start: number,
    end: number,
    bodyStart: number,
  ): 'informational' | 'tunnel' | 'invalid' | 'body' {
    const text = data.toString('latin1', start, end);
    const lineEnd = text.indexOf('\r\n');
    const statusLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const match = STATUS_LINE.exec(statusLine);
    const fields = headerLines(lineEnd < 0 ? '' : text.slice(lineEnd + 2));
    if (match === null || fields === undefined) return 'invalid';
    const status = Number(match[2]);
    if (status === 101) {
      if (!this.#request.upgrade) return 'invalid';
      this.#onStatus(status);
      this.#send(data.subarray(start, bodyStart));
      return 'tunnel';
    }
    if (status < 200) {
      if (!this.#request.http10) this.#send(data.subarray(start, bodyStart));
      return 'informational';
    }

    let length: string | undefined;
    let chunked: boolean | undefined;
    const connection: string[] = [];
    for (const field of fields) {
      if (field.name === 'content-length') {
        if ((length !== undefined && length !== field.value) || !DIGITS.test(field.value)) return 'invalid';
        length = field.value;
      } else if (field.name === 'transfer-encoding') {
        chunked = listTokens(field.value).at(-1) === 'chunked';
      } else if (field.name === 'connection') {
        connection.push(...listTokens(field.value));
      }
    }
    if (connection.includes('close') || (match[1] === '0' && !connection.includes('keep-alive'))) {
      this.#keepUpstream = false;
    }
    if (this.#request.head || status === 204 || status === 304) {
      this.#body = new BodyFramer({ kind: 'none' });
    } else if (chunked === true) {
      this.#body = new BodyFramer({ kind: 'chunked' });
    } else if (chunked === undefined && length !== undefined) {
      this.#body = new BodyFramer({ kind: 'length', length: Number(length) });
    } else {
      this.#untilClose = true;
      this.#closeClient = true;
    }

    let head = `${statusLine}\r\n`;
    for (const field of fields) {
      if (HOP_BY_HOP.has(field.name) || connection.includes(field.name)) continue;
      // With Transfer-Encoding, a Content-Length is wrong and must not reach the client (RFC 9112 6.3).
      if (field.name === 'content-length' && chunked !== undefined) continue;
      head += `${field.line}\r\n`;
    }
    this.#onStatus(status);
    this.#send(this.#closeClient ? `${head}Connection: close\r\n\r\n` : `${head}\r\n`);
    return 'body';
  }
}
