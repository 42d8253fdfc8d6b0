import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the secret may come from: `Config` has these fields. */
export interface WebhookSecretSources {
  dataDir: string;
  github: { webhookSecret: string | undefined };
}

export interface WebhookSecret {
  value: string;
  /** Where it came from, for the banner: the variable, or the file it was generated into. */
  source: 'GITHUB_WEBHOOK_SECRET' | { file: string; generated: boolean };
}

/** GITHUB_WEBHOOK_SECRET, or one generated on first start and kept in the data dir: never no secret at all. */
export async function resolveWebhookSecret(config: WebhookSecretSources): Promise<WebhookSecret> {
  const existing = await readWebhookSecret(config);
  if (existing !== undefined) return existing;
  const file = webhookSecretFile(config);
  const value = randomBytes(32).toString('hex');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, source: { file, generated: true } };
}

/** GITHUB_WEBHOOK_SECRET, or the one generated into the data dir before; undefined when there is neither. */
export async function readWebhookSecret(config: WebhookSecretSources): Promise<WebhookSecret | undefined> {
  if (config.github.webhookSecret !== undefined) {
    return { value: config.github.webhookSecret, source: 'GITHUB_WEBHOOK_SECRET' };
  }
  const file = webhookSecretFile(config);
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value.length >= 16) return { value, source: { file, generated: false } };
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  return undefined;
}

const webhookSecretFile = (config: WebhookSecretSources) => path.join(config.dataDir, 'webhook-secret');
