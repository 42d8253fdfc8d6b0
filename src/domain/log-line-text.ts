import type { LogLine } from './log-line.ts';

/** One log line as text: `<time> [<source>] <text>`, the time only when asked for and known. */
export function logLineText(line: LogLine, options: { timestamps: boolean; showSource: boolean }): string {
  const parts: string[] = [];
  if (options.timestamps && line.time !== undefined) parts.push(line.time.toISOString());
  if (options.showSource && line.source !== '') parts.push(`[${line.source}]`);
  parts.push(line.text);
  return parts.join(' ');
}
