import { ConfigError } from '../config/config.ts';
import { DataDirUnusable } from '../db/data-dir.ts';
import { DataDirInUse } from '../db/data-dir-lock.ts';
import { DatabaseTooNew } from '../db/migrate.ts';
import { DomainError } from '../domain/errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** `glimpse doctor` found problems (it has printed them). */
export class ChecksFailed extends Error {
  constructor(names: string[]) {
    super(`glimpse doctor: ${names.join(', ')} need${names.length === 1 ? 's' : ''} attention`);
    this.name = 'ChecksFailed';
  }
}

/** The one place CLI errors become messages and exit codes. Unknown errors keep their stack for a bug report. */
export function describeCliError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError || error instanceof ChecksFailed)
    return { message: error.message, exitCode: EXIT_FAILURE };
  if (
    error instanceof DomainError ||
    error instanceof DataDirInUse ||
    error instanceof DataDirUnusable ||
    error instanceof DatabaseTooNew
  ) {
    return { message: `Error: ${error.message}`, exitCode: EXIT_FAILURE };
  }
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000' || code === '28P01') {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      message: `Error: cannot reach the database (${detail}). Check DATABASE_URL.`,
      exitCode: EXIT_FAILURE,
    };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `Unexpected error (please report it):\n${detail}`, exitCode: EXIT_FAILURE };
}
