/**
 * The header fields of a message head, read from the bytes as they came: offsets into the buffer, no
 * strings but for the few values the proxy needs. Every request and response through the proxy goes
 * through here, so it allocates one array per head and decodes nothing it does not read.
 */

const CR = 13;
const LF = 10;
const COLON = 58;
const SP = 32;
const HTAB = 9;

/** Bytes of a token (RFC 9110 5.6.2): field names and methods. */
const TOKEN = new Uint8Array(256);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[char.charCodeAt(0)] = 1;
}
/** Bytes of a field value (RFC 9110 5.5): visible characters, spaces, tabs and obs-text. */
const VALUE = new Uint8Array(256);
VALUE[HTAB] = 1;
for (let byte = 0x20; byte <= 0xff; byte++) if (byte !== 0x7f) VALUE[byte] = 1;

/** The field names the proxy acts on; any other is `Field.Other`. */
export const Field = {
  Other: 0,
  Host: 1,
  ContentLength: 2,
  TransferEncoding: 3,
  Connection: 4,
  Upgrade: 5,
  XForwardedFor: 6,
  XForwardedHost: 7,
  XForwardedPort: 8,
  XForwardedProto: 9,
  KeepAlive: 10,
  ProxyConnection: 11,
  ProxyAuthenticate: 12,
  ProxyAuthorization: 13,
  Te: 14,
} as const;
export type FieldKind = (typeof Field)[keyof typeof Field];

const KNOWN: readonly (readonly [string, FieldKind])[] = [
  ['host', Field.Host],
  ['content-length', Field.ContentLength],
  ['transfer-encoding', Field.TransferEncoding],
  ['connection', Field.Connection],
  ['upgrade', Field.Upgrade],
  ['x-forwarded-for', Field.XForwardedFor],
  ['x-forwarded-host', Field.XForwardedHost],
  ['x-forwarded-port', Field.XForwardedPort],
  ['x-forwarded-proto', Field.XForwardedProto],
  ['keep-alive', Field.KeepAlive],
  ['proxy-connection', Field.ProxyConnection],
  ['proxy-authenticate', Field.ProxyAuthenticate],
  ['proxy-authorization', Field.ProxyAuthorization],
  ['te', Field.Te],
];
/** The known names by length, as bytes. */
const KNOWN_BY_LENGTH: (readonly (readonly [Buffer, FieldKind])[])[] = [];
for (const [name, kind] of KNOWN) {
  KNOWN_BY_LENGTH[name.length] = [...(KNOWN_BY_LENGTH[name.length] ?? []), [Buffer.from(name), kind]];
}

/**
 * Headers that describe one connection (RFC 9110 7.6.1) and are not forwarded. Transfer-Encoding and
 * Trailer are hop-by-hop too, but the proxy relays a chunked body byte for byte, so they stay.
 */
export function isHopByHop(kind: FieldKind): boolean {
  return kind === Field.Connection || kind === Field.Upgrade || kind >= Field.KeepAlive;
}

/** Offsets of each field, `STRIDE` numbers per field. */
export type HeaderFields = number[];
const STRIDE = 6;
const LINE_START = 0;
const LINE_END = 1;
const NAME_END = 2;
const VALUE_START = 3;
const VALUE_END = 4;
const KIND = 5;

/**
 * The fields of `data[start, end)`: the lines after the start line, without the CRLF that ends the
 * last one and the empty line after it. Undefined when one is malformed: a bare CR or LF, whitespace
 * before the colon, obs-fold, or a control character. A proxy that read such a head one way while the
 * app reads it another would let a request smuggle another past it, so these are refused, not repaired.
 */
export function scanHeaderFields(data: Buffer, start: number, end: number): HeaderFields | undefined {
  const fields: HeaderFields = [];
  let i = start;
  while (i < end) {
    const lineStart = i;
    i = tokenEnd(data, i, end);
    if (i === lineStart || i === end || data[i] !== COLON) return undefined;
    const nameEnd = i++;
    while (i < end && data[i] !== CR) i++;
    const lineEnd = i;
    if (!isValueText(data, nameEnd + 1, lineEnd)) return undefined;
    let valueStart = nameEnd + 1;
    while (valueStart < lineEnd && isWhitespace(data[valueStart] as number)) valueStart++;
    let valueEnd = lineEnd;
    while (valueEnd > valueStart && isWhitespace(data[valueEnd - 1] as number)) valueEnd--;
    fields.push(lineStart, lineEnd, nameEnd, valueStart, valueEnd, fieldKind(data, lineStart, nameEnd));
    if (i < end) {
      // A CR ends a line only with its LF, and another field must follow.
      if (data[i + 1] !== LF || i + 2 >= end) return undefined;
      i += 2;
    }
  }
  return fields;
}

export function fieldCount(fields: HeaderFields): number {
  return fields.length / STRIDE;
}

export function kindOf(fields: HeaderFields, index: number): FieldKind {
  return fields[index * STRIDE + KIND] as FieldKind;
}

/** The value, without the whitespace around it. */
export function fieldValue(data: Buffer, fields: HeaderFields, index: number): string {
  const at = index * STRIDE;
  return data.toString('latin1', fields[at + VALUE_START], fields[at + VALUE_END]);
}

/** The whole line as it came, without its CRLF. */
export function fieldLine(data: Buffer, fields: HeaderFields, index: number): string {
  const at = index * STRIDE;
  return data.toString('latin1', fields[at + LINE_START], fields[at + LINE_END]);
}

/** True when the field's name is one of `tokens` (lowercase): the Connection field names it (RFC 9110 7.6.1). */
export function namedIn(
  data: Buffer,
  fields: HeaderFields,
  index: number,
  tokens: readonly string[],
): boolean {
  if (tokens.length === 0) return false;
  const at = index * STRIDE;
  const start = fields[at + LINE_START] as number;
  const end = fields[at + NAME_END] as number;
  let name: string | undefined;
  for (const token of tokens) {
    // Keep-Alive and Upgrade fields are dropped anyway.
    if (token.length !== end - start || token === 'keep-alive' || token === 'upgrade') continue;
    name ??= data.toString('latin1', start, end).toLowerCase();
    if (name === token) return true;
  }
  return false;
}

/** A byte range of a buffer. */
export interface Range {
  start: number;
  end: number;
}

/**
 * The head to send on: the start line and the fields `keep` accepts, as they came in `data[start, headEnd)`
 * (`headEnd`: where the CRLFCRLF that ends the head begins), then `suffix` (more fields and the empty
 * line that ends the head), then `data[tail)` (the body bytes that came with the head: one buffer,
 * one write). Runs of kept lines are copied at once, CRLFs included.
 */
export function rebuildHead(
  data: Buffer,
  start: number,
  headEnd: number,
  fields: HeaderFields,
  keep: (index: number) => boolean,
  suffix: Buffer,
  tail?: Range,
): Buffer {
  const count = fieldCount(fields);
  const all = headEnd + 2 - start;
  let length = all + suffix.length + (tail === undefined ? 0 : tail.end - tail.start);
  for (let index = 0; index < count; index++) {
    const at = index * STRIDE;
    if (!keep(index)) length -= (fields[at + LINE_END] as number) + 2 - (fields[at + LINE_START] as number);
  }
  // Nothing dropped or added, and the body follows the head: the bytes as they came, not a copy.
  if (length === all + 2 + (tail === undefined ? 0 : tail.end - tail.start) && suffix.length === 2) {
    if (tail === undefined) return data.subarray(start, headEnd + 4);
    if (tail.start === headEnd + 4) return data.subarray(start, tail.end);
  }
  const head = Buffer.allocUnsafe(length);
  let offset = 0;
  let run = start;
  for (let index = 0; index < count; index++) {
    if (keep(index)) continue;
    const at = index * STRIDE;
    offset += data.copy(head, offset, run, fields[at + LINE_START]);
    run = (fields[at + LINE_END] as number) + 2;
  }
  if (run < headEnd + 2) offset += data.copy(head, offset, run, headEnd + 2);
  offset += suffix.copy(head, offset);
  if (tail !== undefined) data.copy(head, offset, tail.start, tail.end);
  return head;
}

/** Where the line from `start` ends (its CR), or -1 when a CR in it is not followed by LF; `end` if none. */
export function lineEnd(data: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (data[i] === CR) return data[i + 1] === LF ? i : -1;
  }
  return end;
}

/** The value as a number when it is 1 to 15 digits, else -1 (a Content-Length). */
export function digitsValue(data: Buffer, fields: HeaderFields, index: number): number {
  const at = index * STRIDE;
  const start = fields[at + VALUE_START] as number;
  const end = fields[at + VALUE_END] as number;
  if (end === start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (data[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** True when both fields have the same value, byte for byte. */
export function sameValues(data: Buffer, fields: HeaderFields, first: number, second: number): boolean {
  const a = first * STRIDE;
  const b = second * STRIDE;
  const length = (fields[a + VALUE_END] as number) - (fields[a + VALUE_START] as number);
  if (length !== (fields[b + VALUE_END] as number) - (fields[b + VALUE_START] as number)) return false;
  for (let i = 0; i < length; i++) {
    if (data[(fields[a + VALUE_START] as number) + i] !== data[(fields[b + VALUE_START] as number) + i])
      return false;
  }
  return true;
}

/** True when the value is `text`, byte for byte. */
export function valueEquals(data: Buffer, fields: HeaderFields, index: number, text: string): boolean {
  const at = index * STRIDE;
  const start = fields[at + VALUE_START] as number;
  return (fields[at + VALUE_END] as number) - start === text.length && bytesAre(data, start, text);
}

/** True when the value is `lowercase` in any case (`lowercase`: lowercase letters and hyphens). */
export function valueIs(data: Buffer, fields: HeaderFields, index: number, lowercase: string): boolean {
  const at = index * STRIDE;
  const start = fields[at + VALUE_START] as number;
  if ((fields[at + VALUE_END] as number) - start !== lowercase.length) return false;
  for (let i = 0; i < lowercase.length; i++) {
    if (((data[start + i] as number) | 0x20) !== lowercase.charCodeAt(i)) return false;
  }
  return true;
}

/** The tokens of a Connection field, lowercased; its usual values without decoding them. */
export function connectionTokens(data: Buffer, fields: HeaderFields, index: number): readonly string[] {
  if (valueIs(data, fields, index, 'keep-alive')) return KEEP_ALIVE;
  if (valueIs(data, fields, index, 'close')) return CLOSE;
  return listTokens(fieldValue(data, fields, index));
}
const KEEP_ALIVE = ['keep-alive'] as const;
const CLOSE = ['close'] as const;

/** The comma-separated tokens of a list header such as Connection, lowercased. */
export function listTokens(value: string): string[] {
  if (!value.includes(',')) {
    const token = value.trim().toLowerCase();
    return token === '' ? [] : [token];
  }
  return value
    .toLowerCase()
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/** Where the token that starts at `start` ends (a method, a field name). */
export function tokenEnd(data: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && TOKEN[data[i] as number] === 1) i++;
  return i;
}

/** True when `data` holds `text` (ASCII, exact case) at `at`. */
export function bytesAre(data: Buffer, at: number, text: string): boolean {
  if (at + text.length > data.length) return false;
  for (let i = 0; i < text.length; i++) if (data[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** True when `data[start, end)` holds only bytes a field value may have (also what a reason phrase may). */
export function isValueText(data: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (VALUE[data[i] as number] !== 1) return false;
  return true;
}

function isWhitespace(byte: number): boolean {
  return byte === SP || byte === HTAB;
}

/** Which known field `data[start, end)` names, whatever its case. */
function fieldKind(data: Buffer, start: number, end: number): FieldKind {
  const candidates = KNOWN_BY_LENGTH[end - start];
  if (candidates === undefined) return Field.Other;
  for (const [name, kind] of candidates) {
    let i = 0;
    // Known names are lowercase letters and hyphens; OR-ing 0x20 lowercases a letter and keeps a hyphen.
    while (i < name.length && ((data[start + i] as number) | 0x20) === name[i]) i++;
    if (i === name.length) return kind;
  }
  return Field.Other;
}
