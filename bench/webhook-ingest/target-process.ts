/**
 * One server under load, in its own process so the load generator does not share its event loop:
 * `baseline` (node:http, verifies the signature, answers 202), or Glimpse on `pglite` or `postgres`.
 * Tells the parent its port, answers `check` with what the database recorded, and exits on `stop`.
 */
import http from 'node:http';
import { sql } from '../../src/db/drizzle-orm.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { verifySignature } from '../../src/domain/verify-signature.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts';
import { startWebhookServer, TEST_WEBHOOK_SECRET } from '../../test/support/webhook-server.ts';

export type TargetName = 'baseline' | 'pglite' | 'postgres';

export interface RecordedDeliveries {
  /** Ids of the recorded pull_request deliveries. */
  pullRequestIds: string[];
  /** Recorded pull_request deliveries that changed an environment. */
  applied: number;
  environments: number;
  generationSum: number;
}

export type ParentMessage = { type: 'check' } | { type: 'cpu' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'recorded'; recorded: RecordedDeliveries }
  /** CPU time (user + system) this process has used so far, in microseconds. */
  | { type: 'cpu'; micros: number };

function startBaseline(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signature = request.headers['x-hub-signature-256'];
      const valid = verifySignature(
        TEST_WEBHOOK_SECRET,
        Buffer.concat(chunks),
        typeof signature === 'string' ? signature : undefined,
      );
      response.writeHead(valid ? 202 : 401, { 'content-type': 'application/json' });
      response.end(valid ? '{"accepted":true}' : '{"error":"bad signature"}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function recordedDeliveries(database: TestDatabase): Promise<RecordedDeliveries> {
  const db = database.handle.db;
  const rows = await queryRows<{ delivery_id: string; outcome: string }>(
    db,
    sql`select delivery_id, outcome from webhook_deliveries where event = 'pull_request'`,
  );
  const [totals] = await queryRows<{ environments: number; generation_sum: number }>(
    db,
    sql`select count(*)::int as environments, coalesce(sum(generation), 0)::int as generation_sum from environments`,
  );
  return {
    pullRequestIds: rows.map((row) => row.delivery_id),
    applied: rows.filter((row) => row.outcome === 'applied').length,
    environments: totals?.environments ?? 0,
    generationSum: totals?.generation_sum ?? 0,
  };
}

const target = process.argv[2] as TargetName;
const send = (message: ChildMessage) => process.send?.(message);
let database: TestDatabase | undefined;
let server: { port: number; close(): Promise<void> };
if (target === 'baseline') {
  server = await startBaseline();
} else {
  database = await createTestDatabase(target);
  const glimpse = await startWebhookServer(database);
  server = { port: Number(new URL(glimpse.url).port), close: glimpse.close };
}
process.on('message', async (message: ParentMessage) => {
  if (message.type === 'cpu') {
    const usage = process.cpuUsage();
    send({ type: 'cpu', micros: usage.user + usage.system });
  } else if (message.type === 'check' && database !== undefined) {
    send({ type: 'recorded', recorded: await recordedDeliveries(database) });
  } else if (message.type === 'stop') {
    await server.close();
    await database?.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(1));
send({ type: 'ready', port: server.port });
