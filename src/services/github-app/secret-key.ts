import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/config.ts';

export interface SecretKey {
  value: string;
  /** Where it came from, for `glimpse github status`. */
  source: 'GLIMPSE_SECRET_KEY' | { file: string };
}

/**
 * GLIMPSE_SECRET_KEY, or one generated on first use and kept in the data dir (like the session secret).
 * Replicas that share one database need the same key: set GLIMPSE_SECRET_KEY.
 */
export async function resolveSecretKey(config: Config): Promise<SecretKey> {
  if (config.secretKey !== undefined) return { value: config.secretKey, source: 'GLIMPSE_SECRET_KEY' };
  const file = path.join(config.dataDir, 'secret-key');
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value.length >= 32) return { value, source: { file } };
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  const value = randomBytes(32).toString('hex');
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: unknown) => {
    // Another process wrote it first: use theirs.
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  });
  return { value: (await readFile(file, 'utf8')).trim(), source: { file } };
}
