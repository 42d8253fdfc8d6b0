import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The Postgres major version of the embedded database (PGlite); a data dir from a newer one cannot be opened. */
export const EMBEDDED_POSTGRES_MAJOR = 18;

export class DataDirUnusable extends Error {}

export function embeddedDatabaseDir(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}

/**
 * Creates the data dir if needed and checks that this process can use it. The server needs it whatever the
 * database: its generated secrets live there.
 */
export async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new DataDirUnusable(
      `GLIMPSE_DATA_DIR ${dataDir} cannot be used (${describeFsError(error)}): ` +
        'give this user read and write access to it, or set GLIMPSE_DATA_DIR to another directory.',
    );
  }
}

/** Creates the data dir if needed and checks that this process can use it and the database in it. */
export async function prepareDataDir(dataDir: string): Promise<void> {
  await ensureDataDir(dataDir);
  const versionFile = path.join(embeddedDatabaseDir(dataDir), 'PG_VERSION');
  let version: string;
  try {
    version = (await readFile(versionFile, 'utf8')).trim();
  } catch (error) {
    if (isNotFound(error)) return;
    throw new DataDirUnusable(
      `The embedded database in ${dataDir} cannot be read (${describeFsError(error)}): check the permissions of its files.`,
    );
  }
  const major = Number.parseInt(version, 10);
  if (!Number.isFinite(major) || major > EMBEDDED_POSTGRES_MAJOR) {
    throw new DataDirUnusable(
      `The embedded database in ${dataDir} was written by a newer version (Postgres ${version}; this Glimpse embeds ` +
        `Postgres ${EMBEDDED_POSTGRES_MAJOR}). Upgrade Glimpse, or move that directory aside. Nothing was changed.`,
    );
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function describeFsError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return String(error);
}
