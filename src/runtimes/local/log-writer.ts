import { closeSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

const EXCERPT_LINES = 40;

/**
 * Appends lines to one deployment's log file as `<ISO time> <source> <text>`. Writes are
 * synchronous, so nothing is lost if Glimpse dies, and ordered across sources. The file is rotated
 * to `<file>.1` past `maxBytes`. The last lines stay in memory for failure messages.
 */
export class LogWriter {
  readonly file: string;
  readonly #maxBytes: number;
  #fd: number | undefined;
  #bytes: number;
  readonly #recent: string[] = [];

  constructor(file: string, maxBytes: number) {
    this.file = file;
    this.#maxBytes = maxBytes;
    this.#fd = openSync(file, 'a', 0o600);
    this.#bytes = statSync(file).size;
  }

  line(source: string, text: string): void {
    this.#recent.push(`${source}: ${text}`);
    if (this.#recent.length > EXCERPT_LINES) this.#recent.shift();
    if (this.#fd === undefined) return;
    const data = `${new Date().toISOString()} ${source} ${text}\n`;
    this.#bytes += writeSync(this.#fd, data);
    if (this.#bytes > this.#maxBytes) this.#rotate();
  }

  /** Copies a child's output stream line by line until it ends. */
  pipe(stream: Readable, source: string): void {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const text of lines) this.line(source, text.replace(/\r$/, ''));
    });
    stream.on('end', () => {
      const rest = partial + decoder.end();
      partial = '';
      if (rest !== '') this.line(source, rest.replace(/\r$/, ''));
    });
    stream.on('error', () => {});
  }

  /** The last `count` lines written, as `source: text`. */
  excerpt(count = 20): string[] {
    return this.#recent.slice(-count);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #rotate(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    renameSync(this.file, `${this.file}.1`);
    this.#fd = openSync(this.file, 'a', 0o600);
    this.#bytes = 0;
  }
}
