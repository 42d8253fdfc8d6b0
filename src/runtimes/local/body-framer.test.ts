import { describe, expect, it } from 'vitest';
import { BodyFramer } from './body-framer.ts';

const CHUNKED = '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';

describe('BodyFramer', () => {
  it('finds the end of a chunked body with extensions and trailers, however it is split', () => {
    for (let split = 1; split < CHUNKED.length; split++) {
      const framer = new BodyFramer({ kind: 'chunked' });
      const first = Buffer.from(CHUNKED.slice(0, split));
      const second = Buffer.from(`${CHUNKED.slice(split)}GET / HTTP/1.1`);
      expect(framer.consume(first, 0)).toBe(split);
      expect(framer.done).toBe(false);
      expect(framer.consume(second, 0)).toBe(CHUNKED.length - split);
      expect(framer.done).toBe(true);
    }
  });

  it('stops a Content-Length body at its length, leaving the next request', () => {
    const framer = new BodyFramer({ kind: 'length', length: 4 });
    expect(framer.consume(Buffer.from('xxabcdGET'), 2)).toBe(4);
    expect(framer.done).toBe(true);
  });

  it('marks malformed chunk framing invalid', () => {
    for (const body of ['x\r\n', '5\nhello\r\n', '5\r\nhelloXX', '0\r\n\n', ' 5\r\n']) {
      const framer = new BodyFramer({ kind: 'chunked' });
      framer.consume(Buffer.from(body), 0);
      expect(framer.invalid, body).toBe(true);
    }
  });
});
