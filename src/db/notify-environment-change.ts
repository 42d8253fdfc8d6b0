import { sql } from './drizzle-orm.ts';

/**
 * The channel on which an environment's observed state changing is announced (the dashboard's event
 * stream listens; the controller does not). Desired-state changes already announce themselves on the
 * controller's work channel.
 */
export const ENVIRONMENT_CHANNEL = 'glimpse_environment';

/** A column expression for a statement that changes an environment (`.returning({ announced: … })`). */
export const announceEnvironmentChange = sql`pg_notify(${ENVIRONMENT_CHANNEL}, '')`;
