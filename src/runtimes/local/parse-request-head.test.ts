import { describe, expect, it } from 'vitest';
import { ForwardedFields } from './forwarded-fields.ts';
import { parseRequestHead, type RequestHead } from './parse-request-head.ts';
import { ResponseReader } from './response-reader.ts';

const client = { address: '10.0.0.7', scheme: 'http' };

function parse(head: string, fields = new ForwardedFields(client)): RequestHead | { status: number } {
  const data = Buffer.from(`${head}\r\n\r\n`, 'latin1');
  return parseRequestHead(data, data.length - 4, fields);
}

function forwarded(head: string): string {
  const parsed = parse(head);
  if ('status' in parsed) throw new Error(`refused with ${parsed.status}`);
  return parsed.forward.toString('latin1');
}

describe('parseRequestHead', () => {
  it.each([
    ['a bare LF inside a field', 'GET / HTTP/1.1\r\nHost: a\nX: b'],
    ['a bare CR inside a field', 'GET / HTTP/1.1\r\nHost: a\rX: b'],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : a'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\n folded'],
    ['a control character in a value', 'GET / HTTP/1.1\r\nHost: a\x01'],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: a\x7f'],
    ['a field without a name', 'GET / HTTP/1.1\r\n: a'],
    ['a field without a colon', 'GET / HTTP/1.1\r\nHost'],
    ['two Content-Length fields', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1'],
    ['a Content-Length that is not a number', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x'],
    [
      'Transfer-Encoding with Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3',
    ],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*'],
    ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nhost: b'],
    ['a malformed request line', 'GET /  HTTP/1.1\r\nHost: a'],
    ['HTTP/2 in the request line', 'GET / HTTP/2.0\r\nHost: a'],
  ])('refuses %s with 400', (_what, head) => {
    expect(parse(head)).toEqual({ status: 400 });
  });

  it('refuses a transfer coding other than chunked with 501, and CONNECT with 405', () => {
    expect(parse('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip')).toEqual({ status: 501 });
    expect(parse('CONNECT a:443 HTTP/1.1\r\nHost: a:443')).toEqual({ status: 405 });
  });

  it('forwards fields as they came, drops hop-by-hop ones and those Connection names, and sets X-Forwarded-*', () => {
    expect(
      forwarded(
        '\r\nGET /x?y=1 HTTP/1.1\r\nHOST:  pr-a-1.example.test:8080 \r\nConnection: keep-alive, X-Secret\r\n' +
          'x-secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic abc\r\n' +
          'X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Host: evil\r\nAccept: \xe9t\xe9',
      ),
    ).toBe(
      'GET /x?y=1 HTTP/1.1\r\nHOST:  pr-a-1.example.test:8080 \r\nAccept: \xe9t\xe9\r\n' +
        'X-Forwarded-For: 192.0.2.1, 10.0.0.7\r\nX-Forwarded-Proto: http\r\n' +
        'X-Forwarded-Host: pr-a-1.example.test:8080\r\nX-Forwarded-Port: 8080\r\n\r\n',
    );
  });

  it('sets X-Forwarded-* for each request of a connection anew, whatever the one before named', () => {
    const connection = new ForwardedFields(client);
    const next = (head: string) => {
      const parsed = parse(head, connection);
      if ('status' in parsed) throw new Error(`refused with ${parsed.status}`);
      return { host: parsed.host, text: parsed.forward.toString('latin1') };
    };
    const fields = (host: string, forwardedFor: string, port: string) =>
      `X-Forwarded-For: ${forwardedFor}\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ${host}\r\n` +
      `X-Forwarded-Port: ${port}\r\n\r\n`;
    const first = next('GET / HTTP/1.1\r\nHost: a.test:81');
    expect(first).toEqual({
      host: 'a.test:81',
      text: `GET / HTTP/1.1\r\nHost: a.test:81\r\n${fields('a.test:81', '10.0.0.7', '81')}`,
    });
    expect(next('GET /2 HTTP/1.1\r\nHost: a.test:81')).toEqual({
      host: 'a.test:81',
      text: `GET /2 HTTP/1.1\r\nHost: a.test:81\r\n${fields('a.test:81', '10.0.0.7', '81')}`,
    });
    expect(next('GET / HTTP/1.1\r\nHost: A.test:81').text).toContain(fields('A.test:81', '10.0.0.7', '81'));
    expect(next('GET / HTTP/1.1\r\nHost: b.test\r\nX-Forwarded-For: 192.0.2.1').text).toContain(
      fields('b.test', '192.0.2.1, 10.0.0.7', '80'),
    );
    expect(next('GET / HTTP/1.1\r\nHost: b.test').text).toContain(fields('b.test', '10.0.0.7', '80'));
    expect(next('GET / HTTP/1.0').text).toBe(`GET / HTTP/1.0\r\n${fields('', '10.0.0.7', '80')}`);
  });

  it('keeps an upgrade and reads the framing, keep-alive and host', () => {
    const head = parse(
      'GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 0',
    );
    expect(head).toMatchObject({
      method: 'GET',
      host: 'a.test',
      upgrade: true,
      keepAlive: true,
      body: { kind: 'none' },
    });
    expect((head as RequestHead).forward.toString()).toContain(
      'Upgrade: websocket\r\nConnection: Upgrade\r\n',
    );
    expect(parse('GET / HTTP/1.0')).toMatchObject({ http10: true, keepAlive: false, host: undefined });
    expect(parse('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked')).toMatchObject({
      body: { kind: 'chunked' },
    });
  });
});

describe('ResponseReader', () => {
  function read(response: string): { state: string; sent: string } {
    const sent: Buffer[] = [];
    const reader = new ResponseReader({ head: false, http10: false, upgrade: false, close: false }, (data) =>
      sent.push(Buffer.from(data)),
    );
    const state = reader.read(Buffer.from(response, 'latin1'));
    return { state, sent: Buffer.concat(sent).toString('latin1') };
  }

  it.each([
    ['HTTP/1.2 200 OK'],
    ['HTTP/1.1 20 OK'],
    ['HTTP/1.1 2000 OK'],
    ['HTTP/1.1 200OK'],
    ['http/1.1 200 OK'],
    ['HTTP/1.1 200 O\x01K'],
  ])('refuses the status line %j', (line) => {
    expect(read(`${line}\r\nContent-Length: 0\r\n\r\n`).state).toBe('invalid');
  });

  it('sends the head without hop-by-hop fields, in one buffer with the body that came with it', () => {
    expect(
      read(
        'HTTP/1.1 200 OK\r\nDate: x\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\n\r\nhello',
      ),
    ).toEqual({ state: 'done', sent: 'HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 5\r\n\r\nhello' });
    expect(read('HTTP/1.1 204\r\n\r\n')).toEqual({ state: 'done', sent: 'HTTP/1.1 204\r\n\r\n' });
  });

  it('drops a Content-Length beside Transfer-Encoding, and refuses two different ones', () => {
    expect(
      read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n0\r\n\r\n'),
    ).toEqual({ state: 'done', sent: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' });
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx').state).toBe('invalid');
  });
});
