import { EnvironmentUpdates } from '../../src/controller/environment-updates.ts';
import { claimEnvironment, releaseLease } from '../../src/controller/leases.ts';
import { loadWorkItem } from '../../src/controller/work-item.ts';
import type { Database } from '../../src/db/database.ts';
import { sql } from '../../src/db/drizzle-orm.ts';
import type { PhaseEvent } from '../../src/domain/phase-machine.ts';
import { createLogger } from '../../src/logger.ts';

/** Changes an environment's phase as the controller does: under a lease of its own, through its one writer. */
export async function setPhaseAsController(db: Database, id: string, event: PhaseEvent): Promise<void> {
  const lease = await claimEnvironment(db, id, 'test-controller', 30_000, sql`true`);
  if (lease === undefined) throw new Error(`environment ${id} is leased by someone else`);
  try {
    const item = await loadWorkItem(db, id, lease);
    if (item === undefined) throw new Error(`no environment ${id}`);
    await new EnvironmentUpdates(
      db,
      createLogger({ level: 'silent', pretty: false }),
      () => new Date(),
    ).setPhase(item, event);
  } finally {
    await releaseLease(db, id, lease);
  }
}
