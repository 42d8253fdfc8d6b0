import { open, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { LogLine } from '../../domain/log-line.ts';

const TAIL_WINDOW_BYTES = 4 * 1024 * 1024;

/** Parses one `<ISO time> <source> <text>` line written by LogWriter. */
export function parseLogLine(raw: string): LogLine {
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (\S+) ?(.*)$/.exec(raw);
  if (match === null) return { time: undefined, source: 'app', text: raw };
  return { time: new Date(match[1] ?? ''), source: match[2] ?? 'app', text: match[3] ?? '' };
}

/** The last `count` lines of a log file (from its last 4 MiB); [] when the file does not exist. */
export async function readLogTail(file: string, count: number): Promise<{ lines: LogLine[]; size: number }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch {
    return { lines: [], size: 0 };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const raw = buffer.toString('utf8').split('\n');
    raw.pop(); // the text after the last newline is empty or an unfinished line
    if (start > 0) raw.shift();
    const wanted = count <= 0 ? [] : raw.slice(-count);
    return { lines: wanted.map(parseLogLine), size };
  } finally {
    await handle.close();
  }
}

/**
 * Yields lines appended to a log file from `offset` on, polling every `intervalMs`, until the
 * signal aborts. `currentFile` is asked on every poll: when it names another file (a redeploy
 * switched deployments), following continues from the start of that file. A file that shrank was
 * rotated and is read again from its start. `null` from `currentFile` ends following.
 */
export async function* followLogFile(options: {
  file: string;
  offset: number;
  currentFile: () => string | undefined | null;
  intervalMs: number;
  signal: AbortSignal | undefined;
}): AsyncGenerator<LogLine> {
  let file = options.file;
  let offset = options.offset;
  let partial = '';
  while (options.signal?.aborted !== true) {
    const next = options.currentFile();
    if (next === null) return;
    if (next !== undefined && next !== file) {
      file = next;
      offset = 0;
      partial = '';
    }
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size < offset) {
      offset = 0;
      partial = '';
    }
    if (size > offset) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const lines = (partial + buffer.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) yield parseLogLine(line);
      } finally {
        await handle.close();
      }
    }
    try {
      await delay(options.intervalMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return;
    }
  }
}
