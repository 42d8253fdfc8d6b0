import type { Database } from '../../db/database.ts';
import { sql } from '../../db/drizzle-orm.ts';
import { wakeWorkers } from '../../db/notify-work.ts';
import { webhookDeliveries } from '../../db/schema.ts';
import { deliverySubjectOf } from './delivery-subject.ts';
import { handleCommitChecks } from './handle-commit-checks.ts';
import { handleInstallation, handleInstallationRepositories } from './handle-installation.ts';
import { handleIssueComment } from './handle-issue-comment.ts';
import { handlePullRequest, readPullRequestEvent } from './handle-pull-request.ts';
import { handleRepository } from './handle-repository.ts';
import type { HandlerResult } from './handler-result.ts';
import { prepareKnownEnvironmentUpdate } from './update-known-environment.ts';

export interface Delivery {
  id: string;
  event: string;
  payload: unknown;
}

export type DeliveryResult = { duplicate: true } | HandlerResult;

type Handler = (tx: Database, payload: unknown) => Promise<HandlerResult>;

/** A Map, not an object: an event named like an object's member (`constructor`, `__proto__`) finds nothing. */
const HANDLERS = new Map<string, Handler>([
  ['pull_request', handlePullRequest],
  ['installation', handleInstallation],
  ['installation_repositories', handleInstallationRepositories],
  ['repository', handleRepository],
  ['check_run', handleCommitChecks],
  ['check_suite', handleCommitChecks],
  ['status', handleCommitChecks],
  ['issue_comment', handleIssueComment],
  ['ping', async () => ({ outcome: 'applied', environmentIds: [], detail: 'pong' })],
]);

/** The events Glimpse acts on (any other is recorded as ignored). */
export const HANDLED_EVENTS: ReadonlySet<string> = new Set(HANDLERS.keys());

/** Thrown inside the transaction to roll back the work of a delivery recorded before. */
class AlreadyRecorded extends Error {}

export type ReceiveDelivery = (delivery: Delivery) => Promise<DeliveryResult>;

/**
 * Records a delivery and the desired state it implies in one transaction, and wakes the controller on commit.
 * A delivery id seen before changes nothing. Never calls GitHub or a runtime: that is the controller's work.
 *
 * A push to a PR whose environment exists, the bulk of all deliveries, takes one prepared statement
 * (`update-known-environment.ts`); everything else, and every case that statement leaves alone, goes through
 * the event's handler.
 */
export function createDeliveryReceiver(db: Database): ReceiveDelivery {
  const updateKnownEnvironment = prepareKnownEnvironmentUpdate(db);
  return async (delivery) => {
    if (delivery.event === 'pull_request') {
      const event = readPullRequestEvent(delivery.payload);
      if (!('ignored' in event)) {
        const known = await updateKnownEnvironment(delivery.id, event);
        if (known.kind === 'duplicate') return { duplicate: true };
        if (known.kind === 'applied') return { outcome: 'applied', environmentIds: [known.environmentId] };
      }
    }
    return handleInTransaction(db, delivery);
  };
}

/**
 * The delivery row is written last, with its outcome and the wake-up in the same statement, so a delivery
 * costs two round trips fewer. A redelivery is caught by that insert and rolls the transaction back; one
 * racing its original waits on the original's row locks, and then on its delivery id, so it changes nothing.
 */
async function handleInTransaction(db: Database, delivery: Delivery): Promise<DeliveryResult> {
  const action = actionOf(delivery.payload);
  try {
    return await db.transaction(async (tx) => {
      const handler = HANDLERS.get(delivery.event);
      const result: HandlerResult =
        handler === undefined
          ? { outcome: 'ignored', reason: `${delivery.event} events do not affect previews` }
          : await handler(tx, delivery.payload);
      const wake = result.outcome === 'applied' && result.environmentIds.length > 0;
      const [fresh] = await tx
        .insert(webhookDeliveries)
        .values({
          deliveryId: delivery.id,
          event: delivery.event,
          action,
          outcome: result.outcome,
          detail: result.outcome === 'ignored' ? result.reason : (result.detail ?? null),
          ...deliverySubjectOf(delivery.event, delivery.payload),
          processedAt: sql`now()`,
        })
        .onConflictDoNothing()
        .returning({ id: webhookDeliveries.deliveryId, woke: wake ? wakeWorkers : sql`null` });
      if (fresh === undefined) throw new AlreadyRecorded();
      return result;
    });
  } catch (error) {
    if (error instanceof AlreadyRecorded) return { duplicate: true };
    throw error;
  }
}

function actionOf(payload: unknown): string | null {
  if (
    typeof payload === 'object' &&
    payload !== null &&
    'action' in payload &&
    typeof payload.action === 'string' &&
    /^[\w.-]{1,100}$/.test(payload.action)
  ) {
    return payload.action;
  }
  // Not an action GitHub sends (too long, or text the database cannot store): recorded as none.
  return null;
}
