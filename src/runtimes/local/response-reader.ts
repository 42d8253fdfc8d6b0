import { BodyFramer } from './body-framer.ts';
import {
  bytesAre,
  connectionTokens,
  digitsValue,
  Field,
  fieldCount,
  fieldValue,
  isHopByHop,
  isValueText,
  kindOf,
  lineEnd,
  listTokens,
  namedIn,
  type Range,
  rebuildHead,
  sameValues,
  scanHeaderFields,
} from './header-fields.ts';

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

/** A response head read: how its body ends (undefined: at the close), and the head to send with body bytes. */
interface ReadHead {
  body: BodyFramer | undefined;
  build: (body: Range) => Buffer;
}

export const HEAD_END = Buffer.from('\r\n\r\n');
/** Longer heads are refused, as node's own parser does past 16 KiB by default. */
export const MAX_HEAD_BYTES = 64 * 1024;
const HTTP_1_ = 'HTTP/1.';
/** What ends a response head after its kept fields. */
const END = Buffer.from('\r\n');
const CLOSE_END = Buffer.from('Connection: close\r\n\r\n');
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const SPACE = 0x20;

/**
 * Reads one response from the app and hands `send` what goes to the client: the head with the
 * app's hop-by-hop headers dropped, then the body bytes as they are. It parses no more than it
 * must to know where the response ends, so that the next request on the client's connection (which
 * may go to another port after a redeploy) starts on a response boundary.
 */
export class ResponseReader {
  readonly #request: AnsweredRequest;
  readonly #send: (data: Buffer) => void;
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
    send: (data: Buffer) => void,
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
      // The head goes to the client in one buffer with the body bytes that came with it.
      if (state.body === undefined) {
        this.#send(state.build({ start: bodyStart, end: data.length }));
        return 'more';
      }
      const taken = state.body.consume(data, bodyStart);
      this.#send(state.build({ start: bodyStart, end: bodyStart + taken }));
      return this.#afterBody(data, bodyStart + taken);
    }
  }

  /** The app closed its connection: that ends a body delimited by closing, and cuts off any other. */
  ended(): ReadState {
    return this.#untilClose ? 'done' : 'invalid';
  }

  #readBody(data: Buffer, start: number): ReadState {
    const taken = (this.#body as BodyFramer).consume(data, start);
    if (taken > 0)
      this.#send(start === 0 && taken === data.length ? data : data.subarray(start, start + taken));
    return this.#afterBody(data, start + taken);
  }

  /** Where the body stands once the bytes up to `end` were taken. */
  #afterBody(data: Buffer, end: number): ReadState {
    const body = this.#body as BodyFramer;
    if (body.invalid) return 'invalid';
    if (!body.done) return 'more';
    if (end < data.length) {
      // The app sent more than the response it was asked for: its connection is out of step.
      this.#keepUpstream = false;
      this.rest = data.subarray(end);
    }
    return 'done';
  }

  #readHead(
    data: Buffer,
    start: number,
    end: number,
    bodyStart: number,
  ): 'informational' | 'tunnel' | 'invalid' | ReadHead {
    const statusLineEnd = lineEnd(data, start, end);
    if (statusLineEnd < 0) return 'invalid';
    const status = statusOf(data, start, statusLineEnd);
    const fields = scanHeaderFields(data, Math.min(statusLineEnd + 2, end), end);
    if (status < 0 || fields === undefined) return 'invalid';
    const http10 = data[start + HTTP_1_.length] === ZERO;
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

    let length: number | undefined;
    let lengthField = -1;
    let chunked: boolean | undefined;
    const connection: string[] = [];
    const count = fieldCount(fields);
    for (let index = 0; index < count; index++) {
      const kind = kindOf(fields, index);
      if (kind === Field.ContentLength) {
        if (lengthField >= 0 && !sameValues(data, fields, lengthField, index)) return 'invalid';
        length = digitsValue(data, fields, index);
        if (length < 0) return 'invalid';
        lengthField = index;
      } else if (kind === Field.TransferEncoding) {
        chunked = listTokens(fieldValue(data, fields, index)).at(-1) === 'chunked';
      } else if (kind === Field.Connection) {
        connection.push(...connectionTokens(data, fields, index));
      }
    }
    if (connection.includes('close') || (http10 && !connection.includes('keep-alive'))) {
      this.#keepUpstream = false;
    }
    if (this.#request.head || status === 204 || status === 304) {
      this.#body = new BodyFramer({ kind: 'none' });
    } else if (chunked === true) {
      this.#body = new BodyFramer({ kind: 'chunked' });
    } else if (chunked === undefined && length !== undefined) {
      this.#body = new BodyFramer({ kind: 'length', length });
    } else {
      this.#untilClose = true;
      this.#closeClient = true;
    }

    const keep = (index: number) => {
      const kind = kindOf(fields, index);
      // With Transfer-Encoding, a Content-Length is wrong and must not reach the client (RFC 9112 6.3).
      if (kind === Field.ContentLength && chunked !== undefined) return false;
      return !isHopByHop(kind) && !namedIn(data, fields, index, connection);
    };
    this.#onStatus(status);
    const suffix = this.#closeClient ? CLOSE_END : END;
    return {
      body: this.#body,
      build: (body) => rebuildHead(data, start, end, fields, keep, suffix, body),
    };
  }
}

/**
 * The status of `HTTP/1.0 200 OK` or `HTTP/1.1 204` (a reason phrase is optional) in `data[start, end)`,
 * or -1 for any other status line.
 */
function statusOf(data: Buffer, start: number, end: number): number {
  const at = start + HTTP_1_.length;
  if (end - start < HTTP_1_.length + 5 || !bytesAre(data, start, HTTP_1_)) return -1;
  const minor = data[at] as number;
  if ((minor !== ZERO && minor !== ONE) || data[at + 1] !== SPACE) return -1;
  let status = 0;
  for (let i = at + 2; i < at + 5; i++) {
    const digit = data[i] as number;
    if (digit < ZERO || digit > NINE) return -1;
    status = status * 10 + digit - ZERO;
  }
  if (at + 5 === end) return status;
  return data[at + 5] === SPACE && isValueText(data, at + 6, end) ? status : -1;
}
