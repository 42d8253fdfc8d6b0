import type { DomainErrorCode } from '../domain/errors.ts';
import type { Database } from './database.ts';
import { auditEvents } from './schema.ts';

/** `ok`, or why the attempt was refused. */
export type AuditOutcome = 'ok' | 'denied' | 'not_found' | 'conflict' | 'invalid' | 'failed';

/** Who acted: a signed-in user or token's principal, or Glimpse itself (`CONTROLLER_ACTOR`). */
export interface AuditActor {
  login: string;
  userId: string | undefined;
}

/** Glimpse's controller, acting on its own (a deletion that never finished). */
export const CONTROLLER_ACTOR: AuditActor = { userId: undefined, login: 'controller' };

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  environmentId: string | undefined;
  /** What was asked for, as given (an id, a namespace, `owner/repo#12`). */
  target: string;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    actorUserId: entry.actor.userId ?? null,
    actor: entry.actor.login,
    action: entry.action,
    environmentId: entry.environmentId ?? null,
    target: entry.target,
    outcome: entry.outcome,
    detail: entry.detail ?? null,
  });
}

const OUTCOME_OF: Record<DomainErrorCode, AuditOutcome> = {
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'denied',
  UNAUTHORIZED: 'denied',
  INVALID_INPUT: 'invalid',
  CONFLICT: 'conflict',
  UNAVAILABLE: 'failed',
};

export function auditOutcomeOf(code: DomainErrorCode): AuditOutcome {
  return OUTCOME_OF[code];
}
