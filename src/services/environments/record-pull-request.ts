import type { Database } from '../../db/database.ts';
import { and, eq, sql } from '../../db/drizzle-orm.ts';
import { environments } from '../../db/schema.ts';
import { environmentNameCandidates } from '../../domain/environment-name.ts';
import type { DeploymentTrigger } from '../../domain/vocabulary.ts';

/** What a pull request says about itself at one moment, from a webhook or the API. */
export interface PullRequestFacts {
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

/** What Glimpse knows of a pull request of one of its repos at one moment. */
export interface PullRequestSnapshot extends PullRequestFacts {
  repoId: string;
}

/** Who or what asked for a change of desired state. */
export interface ChangeRequest {
  trigger: DeploymentTrigger;
  actor: string | undefined;
  /** A team member asked for this preview explicitly. */
  approvedBy?: string;
}

export interface PullRequestChange extends ChangeRequest {
  snapshot: PullRequestSnapshot;
  /** A label just added (with who added it) or removed. */
  label?: { name: string; addedBy: string | undefined };
  /** Reopening is the only way back from closed. */
  reopen: boolean;
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
      labelShas: environments.labelShas,
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
  const labelShas = { ...(existing?.labelShas ?? {}) };
  if (change.label !== undefined) {
    if (snapshot.labels.includes(change.label.name) && change.label.addedBy !== undefined) {
      labelSenders[change.label.name] = change.label.addedBy;
      labelShas[change.label.name] = snapshot.headSha;
    } else {
      delete labelSenders[change.label.name];
      delete labelShas[change.label.name];
    }
  }
  for (const name of Object.keys(labelSenders))
    if (!snapshot.labels.includes(name)) delete labelSenders[name];
  for (const name of Object.keys(labelShas)) if (!snapshot.labels.includes(name)) delete labelShas[name];

  const fields = { ...desiredStateFields(snapshot, change), labelSenders, labelShas };

  if (existing !== undefined) {
    await tx
      .update(environments)
      .set({ ...fields, generation: sql`${environments.generation} + 1`, updatedAt: sql`now()` })
      .where(eq(environments.id, existing.id));
    return { kind: 'recorded', environmentId: existing.id, created: false };
  }
  // The first free name: the plain one, unless another repo's PR holds it (a repo of the same name under
  // another owner, or one whose plain name equals this one's hashed form). Taking it by insert, not by a
  // look first, keeps names unique also when two new PRs race for one.
  for (const namespace of environmentNameCandidates(snapshot.repoFullName, snapshot.number)) {
    const [created] = await tx
      .insert(environments)
      .values({ ...fields, repoId: snapshot.repoId, prNumber: snapshot.number, namespace })
      .onConflictDoNothing({ target: environments.namespace })
      .returning({ id: environments.id });
    if (created !== undefined) return { kind: 'recorded', environmentId: created.id, created: true };
  }
  throw new Error(`every environment name for ${snapshot.repoFullName}#${snapshot.number} is taken`);
}

/**
 * The columns a recorded change sets, apart from the label senders (which depend on the recorded row) and the
 * generation. Every change resets the retry schedule: the controller starts afresh on the new desired state.
 */
export function desiredStateFields(facts: PullRequestFacts, request: ChangeRequest) {
  return {
    prTitle: facts.title,
    prUrl: facts.url,
    author: facts.author ?? null,
    branch: facts.branch,
    baseBranch: facts.baseBranch,
    headSha: facts.headSha,
    headRepoFullName: facts.headRepoFullName ?? null,
    isFork: facts.isFork,
    isDraft: facts.isDraft,
    labels: facts.labels,
    prUpdatedAt: facts.updatedAt,
    desiredState: facts.open ? ('active' as const) : ('closed' as const),
    requestedTrigger: request.trigger,
    requestedBy: request.actor ?? null,
    attempts: 0,
    nextAttemptAt: null,
    ...(request.approvedBy === undefined
      ? {}
      : { approvedBy: request.approvedBy, approvedSha: facts.headSha }),
  };
}
