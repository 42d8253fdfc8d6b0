import type { BodyFraming } from './parse-request-head.ts';

const CR = 13;
const LF = 10;

// Where a chunked body's parser is (RFC 9112 7.1): size line, data, the CRLF after it, trailers.
const Chunked = {
  Size: 0,
  Extension: 1,
  SizeLf: 2,
  Data: 3,
  DataCr: 4,
  DataLf: 5,
  TrailerStart: 6,
  Trailer: 7,
  TrailerLf: 8,
  EndLf: 9,
} as const;
type ChunkedState = (typeof Chunked)[keyof typeof Chunked];

/**
 * Finds where a message body ends in the bytes that follow its head, without copying or decoding
 * them: the proxy relays a body as it arrives and only needs to know its end, so that the next
 * message on the connection starts in the right place.
 */
export class BodyFramer {
  #remaining: number;
  readonly #chunked: boolean;
  #state: ChunkedState = Chunked.Size;
  #sizeDigits = 0;
  #done: boolean;
  #invalid = false;

  constructor(framing: BodyFraming) {
    this.#chunked = framing.kind === 'chunked';
    this.#remaining = framing.kind === 'length' ? framing.length : 0;
    this.#done = framing.kind === 'none';
  }

  get done(): boolean {
    return this.#done;
  }

  /** True once a chunked body broke its framing; nothing after it on the connection can be trusted. */
  get invalid(): boolean {
    return this.#invalid;
  }

  /** How many bytes of `data` from `start` on belong to the body (all of them while it goes on). */
  consume(data: Buffer, start: number): number {
    if (this.#done || this.#invalid) return 0;
    if (!this.#chunked) {
      const taken = Math.min(this.#remaining, data.length - start);
      this.#remaining -= taken;
      this.#done = this.#remaining === 0;
      return taken;
    }
    let i = start;
    while (i < data.length && !this.#done && !this.#invalid) {
      if (this.#state === Chunked.Data) {
        const taken = Math.min(this.#remaining, data.length - i);
        this.#remaining -= taken;
        i += taken;
        if (this.#remaining === 0) this.#state = Chunked.DataCr;
      } else {
        this.#step(data[i] as number);
        i++;
      }
    }
    return i - start;
  }

  #step(byte: number): void {
    switch (this.#state) {
      case Chunked.Size: {
        const digit = hexValue(byte);
        if (digit >= 0 && this.#sizeDigits < 13) {
          this.#remaining = this.#remaining * 16 + digit;
          this.#sizeDigits++;
        } else if (this.#sizeDigits > 0 && byte === 0x3b /* ; */) {
          this.#state = Chunked.Extension;
        } else if (this.#sizeDigits > 0 && byte === CR) {
          this.#state = Chunked.SizeLf;
        } else {
          this.#invalid = true;
        }
        return;
      }
      case Chunked.Extension:
        if (byte === CR) this.#state = Chunked.SizeLf;
        else if (byte === LF || (byte < 0x20 && byte !== 9) || byte === 0x7f) this.#invalid = true;
        return;
      case Chunked.SizeLf:
        if (byte !== LF) this.#invalid = true;
        else if (this.#remaining === 0) this.#state = Chunked.TrailerStart;
        else this.#state = Chunked.Data;
        this.#sizeDigits = 0;
        return;
      case Chunked.DataCr:
        this.#expect(byte, CR, Chunked.DataLf);
        return;
      case Chunked.DataLf:
        this.#expect(byte, LF, Chunked.Size);
        return;
      case Chunked.TrailerStart:
        if (byte === CR) this.#state = Chunked.EndLf;
        else if (byte === LF) this.#invalid = true;
        else this.#state = Chunked.Trailer;
        return;
      case Chunked.Trailer:
        if (byte === CR) this.#state = Chunked.TrailerLf;
        else if (byte === LF) this.#invalid = true;
        return;
      case Chunked.TrailerLf:
        this.#expect(byte, LF, Chunked.TrailerStart);
        return;
      case Chunked.EndLf:
        if (byte === LF) this.#done = true;
        else this.#invalid = true;
        return;
    }
  }

  #expect(byte: number, wanted: number, next: ChunkedState): void {
    if (byte === wanted) this.#state = next;
    else this.#invalid = true;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
