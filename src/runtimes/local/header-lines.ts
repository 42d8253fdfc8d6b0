/** One header field of a message head: its lowercased name, trimmed value, and the line as received. */
export interface HeaderLine {
  name: string;
  value: string;
  line: string;
}

// field-name is a token; field-value is visible characters, spaces and tabs (RFC 9110 5.1, 5.5).
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t\x20-\x7e\x80-\xff]*$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/**
 * The header fields of a head (latin1, without its request or status line and the final CRLFCRLF),
 * or undefined when one is malformed: a bare CR or LF, whitespace before the colon, obs-fold, or a
 * control character. A proxy that read such a head one way while the app reads it another would let
 * a request smuggle another past it, so these are refused rather than repaired.
 */
export function headerLines(text: string): HeaderLine[] | undefined {
  const lines: HeaderLine[] = [];
  if (text === '') return lines;
  for (const line of text.split('\r\n')) {
    const match = FIELD.exec(line);
    if (match === null) return undefined;
    const name = (match[1] as string).toLowerCase();
    lines.push({ name, value: line.slice(name.length + 1).replace(OWS, ''), line });
  }
  return lines;
}

/** The comma-separated tokens of a list header such as Connection, lowercased. */
export function listTokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/**
 * Headers that describe one connection (RFC 9110 7.6.1) and are not forwarded. Transfer-Encoding
 * and Trailer are hop-by-hop too, but the proxy relays a chunked body byte for byte, so they stay.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'upgrade',
]);
