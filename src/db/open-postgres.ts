import pg from 'pg';
import type { DatabaseHandle } from './database.ts';
import { requireDrizzle } from './drizzle-orm.ts';
import * as schema from './schema.ts';

const { drizzle } = requireDrizzle('drizzle-orm/node-postgres') as typeof import('drizzle-orm/node-postgres');
const { migrate } = requireDrizzle(
  'drizzle-orm/node-postgres/migrator',
) as typeof import('drizzle-orm/node-postgres/migrator');

export interface PostgresOptions {
  max?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return {
    db,
    kind: 'postgres',
    description: `PostgreSQL at ${describePostgresUrl(url)}`,
    async withAdvisoryLock(key, work) {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [key]);
        try {
          return await work();
        } finally {
          await client.query('select pg_advisory_unlock($1)', [key]);
        }
      } finally {
        client.release();
      }
    },
    listen: (channel, onNotify) => listenOnDedicatedClient(url, channel, onNotify),
    applyMigrations: (folder) => migrate(db, { migrationsFolder: folder }),
    close: () => pool.end(),
  };
}

/** host:port/database of a connection URL, without user or password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.host || parsed.searchParams.get('host') || 'localhost';
    return `${host}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * LISTEN needs a connection of its own for as long as it listens. A dropped connection is re-established
 * (with a notification, since some may have been missed meanwhile).
 */
async function listenOnDedicatedClient(
  url: string,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    retry = setTimeout(() => {
      if (stopped) return;
      connect().then(onNotify, reconnectLater);
    }, 1000);
  };
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    next.on('error', () => {
      if (stopped) return;
      void next.end().catch(() => {});
      reconnectLater();
    });
    await next.connect();
    await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    client = next;
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
