import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { type DeploymentTrigger, environments } from '../../db/schema.ts';
import { environmentName } from '../../domain/environment-name.ts';

/** What Glimpse knows of a pull request at one moment, from a webhook or the API. */
export interface PullRequestSnapshot {
  repoId: string;
  repoFullName: string;
  number: number;
  title: string;
  url: string;
  author: string | undefined;
  branch: string;
  baseBranch: string;
  headSha: string;
  headRepoFullName: string | undefined;
  isFork: boolean;
  isDraft: boolean;
  labels: string[];
  open: boolean;
  updatedAt: Date;
}

export interface PullRequestChange {
  snapshot: PullRequestSnapshot;
  trigger: DeploymentTrigger;
  actor: string | undefined;
  /** A label just added (with who added it) or removed. */
  label?: { name: string; addedBy: string | undefined };
  /** Reopening is the only way back from closed. */
  reopen: boolean;
  /** A team member asked for this preview explicitly. */
  approvedBy?: string;
}

export type RecordOutcome =
  | { kind: 'recorded'; environmentId: string; created: boolean }
  | { kind: 'stale'; environmentId: string }
  | { kind: 'closed'; environmentId: string };

/**
 * Records the desired state of a PR's environment: active at its head sha, or closed. Each recorded change
 * bumps the generation so the controller converges again. Events older than what is recorded change nothing,
 * and a closed PR stays closed until it is reopened.
 */
export async function recordPullRequest(tx: Database, change: PullRequestChange): Promise<RecordOutcome> {
  const { snapshot } = change;
  const [existing] = await tx
    .select({
      id: environments.id,
      desiredState: environments.desiredState,
      prUpdatedAt: environments.prUpdatedAt,
      labelSenders: environments.labelSenders,
    })
    .from(environments)
    .where(and(eq(environments.repoId, snapshot.repoId), eq(environments.prNumber, snapshot.number)))
    .for('update');

  if (existing?.prUpdatedAt != null && snapshot.updatedAt < existing.prUpdatedAt) {
    return { kind: 'stale', environmentId: existing.id };
  }
  if (existing?.desiredState === 'closed' && !(snapshot.open && change.reopen)) {
    return { kind: 'closed', environmentId: existing.id };
  }

  const labelSenders = { ...(existing?.labelSenders ?? {}) };
  if (change.label !== undefined) {
    if (snapshot.labels.includes(change.label.name) && change.label.addedBy !== undefined) {
      labelSenders[change.label.name] = change.label.addedBy;
    } else {
      delete labelSenders[change.label.name];
    }
  }
  for (const name of Object.keys(labelSenders))
    if (!snapshot.labels.includes(name)) delete labelSenders[name];

  const fields = {
    prTitle: snapshot.title,
    prUrl: snapshot.url,
    author: snapshot.author ?? null,
    branch: snapshot.branch,
    baseBranch: snapshot.baseBranch,
    headSha: snapshot.headSha,
    headRepoFullName: snapshot.headRepoFullName ?? null,
    isFork: snapshot.isFork,
    isDraft: snapshot.isDraft,
    labels: snapshot.labels,
    labelSenders,
    prUpdatedAt: snapshot.updatedAt,
    desiredState: snapshot.open ? ('active' as const) : ('closed' as const),
    requestedTrigger: change.trigger,
    requestedBy: change.actor ?? null,
    attempts: 0,
    nextAttemptAt: null,
    ...(change.approvedBy === undefined ? {} : { approvedBy: change.approvedBy }),
  };

  if (existing !== undefined) {
    await tx
      .update(environments)
      .set({ ...fields, generation: sql`${environments.generation} + 1`, updatedAt: sql`now()` })
      .where(eq(environments.id, existing.id));
    return { kind: 'recorded', environmentId: existing.id, created: false };
  }
  const namespace = await freeEnvironmentName(tx, snapshot);
  const [created] = await tx
    .insert(environments)
    .values({ ...fields, repoId: snapshot.repoId, prNumber: snapshot.number, namespace })
    .returning({ id: environments.id });
  if (created === undefined) throw new Error('inserting an environment returned no row');
  return { kind: 'recorded', environmentId: created.id, created: true };
}

/** `pr-<repo>-<n>`, or its hashed form when another repo of the same name already uses it. */
async function freeEnvironmentName(tx: Database, snapshot: PullRequestSnapshot): Promise<string> {
  const plain = environmentName(snapshot.repoFullName, snapshot.number);
  const [taken] = await tx
    .select({ id: environments.id })
    .from(environments)
    .where(and(eq(environments.namespace, plain), ne(environments.repoId, snapshot.repoId)));
  return taken === undefined
    ? plain
    : environmentName(snapshot.repoFullName, snapshot.number, { disambiguate: true });
}
