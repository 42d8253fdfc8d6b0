import {
  Field,
  fieldCount,
  fieldLine,
  fieldValue,
  isHopByHop,
  kindOf,
  listTokens,
  namedIn,
  rebuildHead,
  scanHeaderFields,
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

/** Where the request came from, for X-Forwarded-For and -Proto. */
export interface ClientInfo {
  address: string;
  scheme: string;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const HOST_PORT = /:(\d{1,5})$/;
const DIGITS = /^\d{1,15}$/;
const CRLF = Buffer.from('\r\n');

/**
 * Parses the request head in `data[0, end)` (up to but without the CRLFCRLF that ends it) or gives the
 * status to refuse it with. Framing the app could read differently from the proxy is refused (RFC 9112
 * 6.1, 6.3): Transfer-Encoding other than chunked, with Content-Length, or in HTTP/1.0; repeated or
 * malformed Content-Length; no Host or several in HTTP/1.1.
 */
export function parseRequestHead(
  data: Buffer,
  end: number,
  client: ClientInfo,
): RequestHead | { status: number } {
  const start = skipEmptyLines(data, end);
  const found = data.indexOf(CRLF, start);
  const lineEnd = found < 0 || found >= end ? end : found;
  const match = REQUEST_LINE.exec(data.toString('latin1', start, lineEnd));
  const fields = scanHeaderFields(data, lineEnd === end ? end : lineEnd + 2, end);
  if (match === null || fields === undefined) return { status: 400 };
  const method = match[1] as string;
  // A reverse proxy for previews opens no tunnels to hosts a client names.
  if (method === 'CONNECT') return { status: 405 };
  const http10 = match[3] === '0';

  let host: string | undefined;
  let hosts = 0;
  let length: string | undefined;
  let chunked = false;
  let encodings = 0;
  let forwardedFor: string | undefined;
  const connection: string[] = [];
  let upgradeField: string | undefined;
  const count = fieldCount(fields);
  for (let index = 0; index < count; index++) {
    switch (kindOf(fields, index)) {
      case Field.Host:
        host = fieldValue(data, fields, index);
        hosts++;
        break;
      case Field.ContentLength: {
        const value = fieldValue(data, fields, index);
        if (length !== undefined || !DIGITS.test(value)) return { status: 400 };
        length = value;
        break;
      }
      case Field.TransferEncoding:
        encodings++;
        chunked = fieldValue(data, fields, index).toLowerCase() === 'chunked';
        break;
      case Field.Connection:
        connection.push(...listTokens(fieldValue(data, fields, index)));
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
    { start, end: lineEnd },
    fields,
    keep,
    `${upgrade ? `${upgradeField}\r\nConnection: Upgrade\r\n` : ''}` +
      `X-Forwarded-For: ${forwardedFor === undefined ? client.address : `${forwardedFor}, ${client.address}`}\r\n` +
      `X-Forwarded-Proto: ${client.scheme}\r\nX-Forwarded-Host: ${host ?? ''}\r\n` +
      `X-Forwarded-Port: ${forwardedPort(host, client.scheme)}\r\n\r\n`,
  );
  return {
    method,
    host,
    http10,
    body: chunked
      ? { kind: 'chunked' }
      : length === undefined || length === '0'
        ? { kind: 'none' }
        : { kind: 'length', length: Number(length) },
    keepAlive: !http10 && !connection.includes('close'),
    upgrade,
    forward,
  };
}

/** The X-Forwarded-* fields the proxy sets itself: a client's own are replaced (For is appended to). */
function isForwarded(kind: number): boolean {
  return kind >= Field.XForwardedFor && kind <= Field.XForwardedProto;
}

/** The port the client asked for: the Host's, else the scheme's (the proxy may sit behind a TLS terminator). */
function forwardedPort(host: string | undefined, scheme: string): string {
  return HOST_PORT.exec(host ?? '')?.[1] ?? (scheme === 'https' ? '443' : '80');
}

/** RFC 9112 2.2: empty lines before a request line are ignored. */
function skipEmptyLines(data: Buffer, end: number): number {
  let start = 0;
  while (start + 2 <= end && data[start] === 13 && data[start + 1] === 10) start += 2;
  return start;
}
