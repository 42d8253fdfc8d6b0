import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.ts';

/** GLIMPSE_SESSION_SECRET, or one generated on first start and kept in the data dir (replicas: set it). */
export async function resolveSessionSecret(config: Config): Promise<string> {
  if (config.api.sessionSecret !== undefined) return config.api.sessionSecret;
  const file = path.join(config.dataDir, 'session-secret');
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value.length >= 32) return value;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  const value = randomBytes(32).toString('hex');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}
