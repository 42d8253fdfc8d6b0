import { HOP_BY_HOP, headerLines, listTokens } from './header-lines.ts';

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
  forward: string;
}

/** Where the request came from, for X-Forwarded-For and -Proto. */
export interface ClientInfo {
  address: string;
  scheme: string;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto']);
const HOST_PORT = /:(\d{1,5})$/;
const DIGITS = /^\d{1,15}$/;

/**
 * Parses a request head (latin1, up to but without the CRLFCRLF that ends it) or gives the status to
 * refuse it with. Framing the app could read differently from the proxy is refused (RFC 9112 6.1,
 * 6.3): Transfer-Encoding other than chunked, with Content-Length, or in HTTP/1.0; repeated or
 * malformed Content-Length; no Host or several in HTTP/1.1.
 */
export function parseRequestHead(text: string, client: ClientInfo): RequestHead | { status: number } {
  const start = skipEmptyLines(text);
  const lineEnd = text.indexOf('\r\n', start);
  const requestLine = lineEnd < 0 ? text.slice(start) : text.slice(start, lineEnd);
  const match = REQUEST_LINE.exec(requestLine);
  const fields = headerLines(lineEnd < 0 ? '' : text.slice(lineEnd + 2));
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
  for (const field of fields) {
    switch (field.name) {
      case 'host':
        host = field.value;
        hosts++;
        break;
      case 'content-length':
        if (length !== undefined || !DIGITS.test(field.value)) return { status: 400 };
        length = field.value;
        break;
      case 'transfer-encoding':
        encodings++;
        chunked = field.value.toLowerCase() === 'chunked';
        break;
      case 'connection':
        connection.push(...listTokens(field.value));
        break;
      case 'upgrade':
        upgradeField = field.line;
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? field.value : `${forwardedFor}, ${field.value}`;
        break;
    }
  }
  if (encodings > 0 && (!chunked || encodings > 1)) return { status: 501 };
  if (encodings > 0 && (length !== undefined || http10)) return { status: 400 };
  if (hosts > 1 || (hosts === 0 && !http10)) return { status: 400 };

  const upgrade = upgradeField !== undefined && connection.includes('upgrade');
  let forward = `${requestLine}\r\n`;
  for (const field of fields) {
    if (HOP_BY_HOP.has(field.name) || FORWARDED.has(field.name) || connection.includes(field.name)) continue;
    forward += `${field.line}\r\n`;
  }
  if (upgrade) forward += `${upgradeField}\r\nConnection: Upgrade\r\n`;
  forward +=
    `X-Forwarded-For: ${forwardedFor === undefined ? client.address : `${forwardedFor}, ${client.address}`}\r\n` +
    `X-Forwarded-Proto: ${client.scheme}\r\nX-Forwarded-Host: ${host ?? ''}\r\n` +
    `X-Forwarded-Port: ${forwardedPort(host, client.scheme)}\r\n\r\n`;
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

/** The port the client asked for: the Host's, else the scheme's (the proxy may sit behind a TLS terminator). */
function forwardedPort(host: string | undefined, scheme: string): string {
  return HOST_PORT.exec(host ?? '')?.[1] ?? (scheme === 'https' ? '443' : '80');
}

/** RFC 9112 2.2: empty lines before a request line are ignored. */
function skipEmptyLines(text: string): number {
  let start = 0;
  while (text.startsWith('\r\n', start)) start += 2;
  return start;
}
