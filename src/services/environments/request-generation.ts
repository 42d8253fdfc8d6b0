import { auditOutcomeOf, recordAudit } from '../../db/audit.ts';
import type { Database } from '../../db/database.ts';
import { sql } from '../../db/drizzle-orm.ts';
import { environments } from '../../db/schema.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Principal } from '../auth/principal.ts';

/** Asks the controller for a new generation: the contract every manual request follows. */
export function requestGeneration(principal: Principal, trigger: 'retry' | 'manual') {
  return {
    generation: sql`${environments.generation} + 1`,
    requestedTrigger: trigger,
    requestedBy: principal.login,
    attempts: 0,
    nextAttemptAt: null,
    updatedAt: sql`now()`,
  };
}

/** Records a refused attempt (domain errors only: anything else is a bug, logged elsewhere). */
export async function auditRefusal(
  db: Database,
  principal: Principal,
  action: string,
  environmentId: string | undefined,
  target: string,
  error: unknown,
): Promise<void> {
  if (!(error instanceof DomainError)) return;
  await recordAudit(db, {
    actor: principal,
    action,
    environmentId,
    target,
    outcome: auditOutcomeOf(error.code),
    detail: { message: error.message },
  });
}
