import type { ForwardedFields } from './forwarded-fields.ts';
import {
  bytesAre,
  connectionTokens,
  digitsValue,
  Field,
  fieldCount,
  fieldLine,
  fieldValue,
  isHopByHop,
  kindOf,
  lineEnd,
  namedIn,
  rebuildHead,
  scanHeaderFields,
  tokenEnd,
  valueIs,
} from './header-fields.ts';

/** How a message body is delimited (RFC 9112 6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/** A parsed request head, and the head to send to the app in its place. */
export interface RequestHead {
  method: string;
  host: string | undefined;
  http10: boolean;
  body: BodyFraming;
  /** False when the client asked to close after this request (or spoke HTTP/1.0). */
  keepAlive: boolean;
  /** Upgrade and Connection: upgrade were sent; after a 101 the connection becomes a tunnel. */
  upgrade: boolean;
  /** The request line and headers for the app, hop-by-hop ones dropped, X-Forwarded-* set. */
  forward: Buffer;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const SP = 0x20;
const DEL = 0x7f;

/**
 * Parses the request head in `data[0, end)` (up to but without the CRLFCRLF that ends it) or gives the
 * status to refuse it with. Framing the app could read differently from the proxy is refused (RFC 9112
 * 6.1, 6.3): Transfer-Encoding other than chunked, with Content-Length, or in HTTP/1.0; repeated or
 * malformed Content-Length; no Host or several in HTTP/1.1.
 */
export function parseRequestHead(
  data: Buffer,
  end: number,
  forwarded: ForwardedFields,
): RequestHead | { status: number } {
  const start = skipEmptyLines(data, end);
  const startLineEnd = lineEnd(data, start, end);
  const line = startLineEnd < 0 ? undefined : requestLine(data, start, startLineEnd);
  const fields =
    line === undefined ? undefined : scanHeaderFields(data, Math.min(startLineEnd + 2, end), end);
  if (line === undefined || fields === undefined) return { status: 400 };
  const { method, http10 } = line;
  // A reverse proxy for previews opens no tunnels to hosts a client names.
  if (method === 'CONNECT') return { status: 405 };

  let host: string | undefined;
  let hosts = 0;
  let length: number | undefined;
  let chunked = false;
  let encodings = 0;
  let forwardedFor: string | undefined;
  const connection: string[] = [];
  let upgradeField: string | undefined;
  const count = fieldCount(fields);
  for (let index = 0; index < count; index++) {
    switch (kindOf(fields, index)) {
      case Field.Host:
        host = forwarded.host(data, fields, index);
        hosts++;
        break;
      case Field.ContentLength: {
        if (length !== undefined) return { status: 400 };
        length = digitsValue(data, fields, index);
        if (length < 0) return { status: 400 };
        break;
      }
      case Field.TransferEncoding:
        encodings++;
        chunked = valueIs(data, fields, index, 'chunked');
        break;
      case Field.Connection:
        connection.push(...connectionTokens(data, fields, index));
        break;
      case Field.Upgrade:
        upgradeField = fieldLine(data, fields, index);
        break;
      case Field.XForwardedFor: {
        const value = fieldValue(data, fields, index);
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
      }
    }
  }
  if (encodings > 0 && (!chunked || encodings > 1)) return { status: 501 };
  if (encodings > 0 && (length !== undefined || http10)) return { status: 400 };
  if (hosts > 1 || (hosts === 0 && !http10)) return { status: 400 };

  const upgrade = upgradeField !== undefined && connection.includes('upgrade');
  const keep = (index: number) => {
    const kind = kindOf(fields, index);
    return !isHopByHop(kind) && !isForwarded(kind) && !namedIn(data, fields, index, connection);
  };
  const forward = rebuildHead(
    data,
    start,
    end,
    fields,
    keep,
    forwarded.lines(host, forwardedFor, upgrade ? upgradeField : undefined),
  );
  return {
    method,
    host,
    http10,
    body: chunked
      ? { kind: 'chunked' }
      : length === undefined || length === 0
        ? { kind: 'none' }
        : { kind: 'length', length },
    keepAlive: !http10 && !connection.includes('close'),
    upgrade,
    forward,
  };
}

/** The X-Forwarded-* fields the proxy sets itself: a client's own are replaced (For is appended to). */
function isForwarded(kind: number): boolean {
  return kind >= Field.XForwardedFor && kind <= Field.XForwardedProto;
}

/**
 * `method SP request-target SP HTTP/1.x` in `data[start, end)` (RFC 9112 3): the method and whether it
 * is HTTP/1.0, or undefined.
 */
function requestLine(
  data: Buffer,
  start: number,
  end: number,
): { method: string; http10: boolean } | undefined {
  const methodEnd = tokenEnd(data, start, end);
  if (methodEnd === start || data[methodEnd] !== SP) return undefined;
  let i = methodEnd + 1;
  while (i < end && (data[i] as number) > SP && data[i] !== DEL) i++;
  const version = i + 1;
  if (i === methodEnd + 1 || data[i] !== SP || end - version !== 8 || !bytesAre(data, version, 'HTTP/1.')) {
    return undefined;
  }
  const minor = data[version + 7];
  if (minor !== 0x30 && minor !== 0x31) return undefined;
  return { method: methodName(data, start, methodEnd), http10: minor === 0x30 };
}

/** The method as a string, the common ones without decoding it. */
function methodName(data: Buffer, start: number, end: number): string {
  for (const method of METHODS) {
    if (method.length === end - start && bytesAre(data, start, method)) return method;
  }
  return data.toString('latin1', start, end);
}

/** RFC 9112 2.2: empty lines before a request line are ignored. */
function skipEmptyLines(data: Buffer, end: number): number {
  let start = 0;
  while (start + 2 <= end && data[start] === 13 && data[start + 1] === 10) start += 2;
  return start;
}
