import { recordAudit } from '../../db/audit.ts';
import type { Database } from '../../db/database.ts';
import { and, eq } from '../../db/drizzle-orm.ts';
import { notifyWork } from '../../db/notify-work.ts';
import { recordEnvironmentEvents } from '../../db/record-environment-events.ts';
import { environments } from '../../db/schema.ts';
import { normal } from '../../domain/environment-event.ts';
import { Conflict } from '../../domain/errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { AcceptedView } from './environment-schemas.ts';
import { environmentView } from './environment-view.ts';
import { assertAllowed, type EnvironmentRow, locateEnvironment } from './locate-environment.ts';
import { auditRefusal, requestGeneration } from './request-generation.ts';
import type { ServiceDeps } from './service-deps.ts';

/** Retries a failed deployment. Conflict unless the environment's phase is `failed`. */
export function retryEnvironment(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
): Promise<AcceptedView> {
  return changeEnvironment(deps, principal, ref, 'retry', async (tx, env) => {
    const [row] = await tx
      .update(environments)
      .set(requestGeneration(principal, 'retry'))
      .where(and(eq(environments.id, env.id), eq(environments.phase, 'failed')))
      .returning();
    if (row === undefined) throw new Conflict('Environment is not in a failed state');
    return row;
  });
}

/** Deploys the environment's head commit again. Conflict when the environment is closed. */
export function redeployEnvironment(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
): Promise<AcceptedView> {
  return changeEnvironment(deps, principal, ref, 'redeploy', async (tx, env) => {
    const [row] = await tx
      .update(environments)
      .set(requestGeneration(principal, 'manual'))
      .where(and(eq(environments.id, env.id), eq(environments.desiredState, 'active')))
      .returning();
    if (row === undefined)
      throw new Conflict(
        `Environment ${env.namespace} is closed (its PR closed or it was deleted), so there is nothing to redeploy: deploy the PR again instead.`,
      );
    return row;
  });
}

/** Closes the environment; the controller deletes it in the background. Deleting twice is harmless. */
export function deleteEnvironment(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
): Promise<AcceptedView> {
  return changeEnvironment(deps, principal, ref, 'delete', async (tx, env) => {
    const [row] = await tx
      .update(environments)
      .set({ ...requestGeneration(principal, 'manual'), desiredState: 'closed' })
      .where(and(eq(environments.id, env.id), eq(environments.desiredState, 'active')))
      .returning();
    return row ?? env;
  });
}

async function changeEnvironment(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
  action: 'retry' | 'redeploy' | 'delete',
  change: (tx: Database, env: EnvironmentRow) => Promise<EnvironmentRow>,
): Promise<AcceptedView> {
  let environmentId: string | undefined;
  try {
    const located = await locateEnvironment(deps.db, principal, ref);
    environmentId = located?.env.id;
    assertAllowed(principal, located, ref, action);
    const changed = await deps.db.transaction(async (tx) => {
      const row = await change(tx, located.env);
      await recordAudit(tx, { actor: principal, action, environmentId: row.id, target: ref, outcome: 'ok' });
      await recordEnvironmentEvents(tx, row.id, [actionEvent(principal.login, action)]);
      await notifyWork(tx);
      return row;
    });
    return {
      accepted: true,
      action,
      environment: environmentView(changed, located.repoFullName, deps.now()),
    };
  } catch (error) {
    await auditRefusal(deps.db, principal, action, environmentId, ref, error);
    throw error;
  }
}

/** The timeline entry of a person's request. */
export function actionEvent(login: string, action: 'retry' | 'redeploy' | 'delete' | 'deploy') {
  const what = { retry: 'a retry', redeploy: 'a redeploy', delete: 'its deletion', deploy: 'a deploy' }[
    action
  ];
  return normal('ActionBy', `${login} asked for ${what}.`, { actor: login, action });
}
