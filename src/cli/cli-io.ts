import type { Environment } from '../config/config.ts';

/** What a command may touch of its surroundings; tests hand in their own. */
export interface CliIo {
  env: Environment;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; empty lists say so instead of printing a bare header. */
export function printTable(io: CliIo, headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    io.stdout(`${empty}\n`);
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  io.stdout(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}
