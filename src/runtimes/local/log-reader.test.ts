import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../domain/log-line.ts';
import { followLogFile, parseLogLine, readLogTail } from './log-reader.ts';
import { LogWriter } from './log-writer.ts';

describe('deployment logs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'glimpse-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one timestamped line per output line, joining chunks split mid-line', async () => {
    const writer = new LogWriter(path.join(dir, 'a.log'), 1024 * 1024);
    const stream = new PassThrough();
    writer.pipe(stream, 'app');
    stream.write('hel');
    stream.write('lo\r\nwor');
    stream.end('ld');
    await new Promise((resolve) => setImmediate(resolve));
    writer.line('glimpse', 'done');
    writer.close();
    const { lines } = await readLogTail(writer.file, 10);
    expect(lines.map((l) => [l.source, l.text])).toEqual([
      ['app', 'hello'],
      ['app', 'world'],
      ['glimpse', 'done'],
    ]);
    expect(lines.every((l) => l.time instanceof Date)).toBe(true);
    expect(writer.excerpt(2)).toEqual(['app: world', 'glimpse: done']);
    expect((await readLogTail(writer.file, 1)).lines.map((l) => l.text)).toEqual(['done']);
  });

  it('rotates past the size limit and keeps writing', async () => {
    const writer = new LogWriter(path.join(dir, 'b.log'), 200);
    for (let i = 0; i < 10; i++) writer.line('app', `line ${i} ${'x'.repeat(30)}`);
    writer.close();
    const current = await readLogTail(writer.file, 100);
    const rotated = await readLogTail(`${writer.file}.1`, 100);
    expect(current.lines.length + rotated.lines.length).toBeLessThan(10 + 1);
    expect(current.lines.at(-1)?.text).toContain('line 9');
    expect(rotated.lines.length).toBeGreaterThan(0);
  });

  it('keeps unparseable lines as text', () => {
    expect(parseLogLine('plain text')).toEqual({ time: undefined, source: 'app', text: 'plain text' });
  });

  it('follows appended lines, switches to a newer file, and ends when told', async () => {
    const first = new LogWriter(path.join(dir, 'c.log'), 1024 * 1024);
    const second = new LogWriter(path.join(dir, 'd.log'), 1024 * 1024);
    first.line('app', 'old line');
    let current: string | null = first.file;
    const seen: LogLine[] = [];
    const following = (async () => {
      const start = (await readLogTail(first.file, 0)).size;
      for await (const line of followLogFile({
        file: first.file,
        offset: start,
        currentFile: () => current,
        intervalMs: 10,
        signal: AbortSignal.timeout(5_000),
      })) {
        seen.push(line);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    first.line('app', 'appended');
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.line('app', 'from the new deployment');
    current = second.file;
    await new Promise((resolve) => setTimeout(resolve, 50));
    current = null;
    await following;
    expect(seen.map((l) => l.text)).toEqual(['appended', 'from the new deployment']);
    first.close();
    second.close();
  });
});
