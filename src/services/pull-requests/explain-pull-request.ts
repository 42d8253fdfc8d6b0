import { and, desc, eq, inArray, sql } from '../../db/drizzle-orm.ts';
import {
  environmentEvents,
  environments,
  repos,
  teamMemberships,
  webhookDeliveries,
} from '../../db/schema.ts';
import { authorize } from '../../domain/authorize.ts';
import type { EventReason } from '../../domain/environment-event.ts';
import { NotFound } from '../../domain/errors.ts';
import { explanationSentences } from '../../domain/explanation-sentences.ts';
import type { Principal } from '../auth/principal.ts';
import { latestEvents } from '../environments/environment-events.ts';
import {
  type ExplainInput,
  ExplainInput as ExplainInputSchema,
  type PullRequestExplanation,
} from '../environments/event-schemas.ts';
import type { ServiceDeps } from '../environments/service-deps.ts';
import { parseInput } from '../parse-input.ts';

const DELIVERIES = 10;
const EVENTS = 20;

/** The timeline reasons that say what the deploy gate decided, newest wins. */
const GATE_OUTCOMES: Partial<Record<EventReason, PullRequestExplanation['gate']['decision']>> = {
  GateBlocked: 'blocked',
  WaitingForChecks: 'waiting-for-checks',
  ConfigInvalid: 'config-invalid',
  Building: 'passed',
};

/**
 * Why a pull request has the preview it has, or none: its latest deliveries and their reasons, the deploy
 * gate's decision, its environment's phase and latest events. Visible to whoever may see the repository's
 * environments; a repository Glimpse has no record of is visible to administrators only (they see deliveries).
 */
export async function explainPullRequest(
  deps: ServiceDeps,
  principal: Principal,
  input: ExplainInput,
): Promise<PullRequestExplanation> {
  const { repoFullName, prNumber } = parseInput(ExplainInputSchema, input, 'pull request');
  const { db } = deps;
  const [repo] = await db
    .select({ id: repos.id, fullName: repos.fullName, enabled: repos.enabled, role: teamMemberships.role })
    .from(repos)
    .leftJoin(
      teamMemberships,
      and(eq(teamMemberships.teamId, repos.teamId), eq(teamMemberships.userId, principal.userId)),
    )
    .where(sql`lower(${repos.fullName}) = ${repoFullName.toLowerCase()}`);
  const visible =
    repo === undefined
      ? principal.isAdmin
      : authorize({ isAdmin: principal.isAdmin, role: repo.role ?? undefined }, 'view') === 'allow';
  if (!visible)
    throw new NotFound(
      `No connected repository ${repoFullName} that you can see: install the Glimpse GitHub App on it, or ask its team to add you.`,
    );
  const deliveries = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        sql`lower(${webhookDeliveries.repoFullName}) = ${repoFullName.toLowerCase()}`,
        eq(webhookDeliveries.prNumber, prNumber),
      ),
    )
    .orderBy(desc(webhookDeliveries.receivedAt))
    .limit(DELIVERIES);
  const [env] =
    repo === undefined
      ? []
      : await db
          .select()
          .from(environments)
          .where(and(eq(environments.repoId, repo.id), eq(environments.prNumber, prNumber)));
  const events = env === undefined ? [] : await latestEvents(db, env.id, EVENTS);
  const [gateEvent] =
    env === undefined
      ? []
      : await db
          .select()
          .from(environmentEvents)
          .where(
            and(
              eq(environmentEvents.environmentId, env.id),
              inArray(environmentEvents.reason, Object.keys(GATE_OUTCOMES) as EventReason[]),
            ),
          )
          .orderBy(desc(environmentEvents.id))
          .limit(1);
  const gate: PullRequestExplanation['gate'] =
    gateEvent === undefined
      ? { decision: 'not-decided', gate: null, reason: null }
      : {
          decision: GATE_OUTCOMES[gateEvent.reason] ?? 'not-decided',
          gate: typeof gateEvent.details?.gate === 'string' ? gateEvent.details.gate : null,
          reason: gateEvent.reason === 'Building' ? null : gateEvent.message,
        };
  const environment =
    env === undefined
      ? null
      : {
          id: env.id,
          namespace: env.namespace,
          phase: env.phase,
          url: env.url,
          headSha: env.headSha,
          deployedSha: env.deployedSha,
          statusDetail: env.statusDetail,
          error: env.error,
          settled: env.generation === env.observedGeneration,
        };
  const deliveryViews = deliveries.map((d) => ({
    deliveryId: d.deliveryId,
    event: d.event,
    action: d.action,
    outcome: d.outcome,
    detail: d.detail,
    receivedAt: d.receivedAt.toISOString(),
  }));
  // What the PR comment said is on the PR already: the latest event that says what Glimpse did.
  const latest = events.findLast((event) => event.reason !== 'CommentUpdated');
  return {
    repo: repo?.fullName ?? repoFullName,
    prNumber,
    summary: explanationSentences({
      repo: repo?.fullName ?? repoFullName,
      prNumber,
      repoEnabled: repo?.enabled,
      environment:
        env === undefined || environment === null
          ? undefined
          : { ...environment, desiredState: env.desiredState },
      gate,
      deliveries: deliveryViews,
      latestEvent:
        latest === undefined
          ? undefined
          : { reason: latest.reason, message: latest.message, time: latest.time },
    }),
    environment,
    gate,
    deliveries: deliveryViews,
    events,
  };
}
