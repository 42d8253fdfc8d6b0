import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhook-route.ts';
import { createLogger } from '../../src/logger.ts';
import type { TestDatabase } from './test-database.ts';

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** Glimpse's HTTP server on a free loopback port, with the given database; no controller. */
export async function startWebhookServer(
  database: TestDatabase,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp({
    config: loadConfig({}),
    logger: createLogger({ level: 'silent', pretty: false }),
    database: database.handle,
    webhookSecret: TEST_WEBHOOK_SECRET,
  });
  const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${base}${WEBHOOK_PATH}`, close: () => app.close() };
}
