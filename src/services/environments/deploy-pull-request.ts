import { recordAudit } from '../../db/audit.ts';
import { and, eq, sql } from '../../db/drizzle-orm.ts';
import { notifyWork } from '../../db/notify-work.ts';
import { recordEnvironmentEvents } from '../../db/record-environment-events.ts';
import { environments, repos, teamMemberships } from '../../db/schema.ts';
import { authorize } from '../../domain/authorize.ts';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.ts';
import { PR_NUMBER_MAX } from '../../domain/pr-number-max.ts';
import type { Principal } from '../auth/principal.ts';
import { actionEvent } from './environment-actions.ts';
import type { AcceptedView } from './environment-schemas.ts';
import { environmentView } from './environment-view.ts';
import { type PullRequestSnapshot, recordPullRequest } from './record-pull-request.ts';
import { auditRefusal, requestGeneration } from './request-generation.ts';
import type { ServiceDeps } from './service-deps.ts';

interface ConnectedRepo {
  id: string;
  fullName: string;
  installationId: number;
}

/**
 * Deploys a pull request on request, without the opt-in label: the repo must be connected and owned by
 * a team of the principal. A PR Glimpse has not recorded yet is fetched from GitHub and recorded first.
 */
export async function deployPullRequest(
  deps: ServiceDeps,
  principal: Principal,
  input: { repoFullName: string; prNumber: number },
): Promise<AcceptedView> {
  const target = `${input.repoFullName}#${input.prNumber}`;
  let environmentId: string | undefined;
  try {
    const repo = await findConnectedRepo(deps, principal, input);
    const [known] = await deps.db
      .select({ id: environments.id })
      .from(environments)
      .where(and(eq(environments.repoId, repo.id), eq(environments.prNumber, input.prNumber)));
    environmentId = known?.id;
    const snapshot = known === undefined ? await fetchPullRequest(deps, repo, input.prNumber) : undefined;
    const changed = await deps.db.transaction(async (tx) => {
      if (snapshot !== undefined)
        await recordPullRequest(tx, {
          snapshot,
          trigger: 'manual',
          actor: principal.login,
          reopen: false,
          approvedBy: principal.login,
        });
      const [row] = await tx
        .update(environments)
        .set({
          ...requestGeneration(principal, 'manual'),
          desiredState: 'active',
          approvedBy: principal.login,
          // The head Glimpse knows now: a fork's later push waits for a new approval.
          approvedSha: sql`${environments.headSha}`,
        })
        .where(and(eq(environments.repoId, repo.id), eq(environments.prNumber, input.prNumber)))
        .returning();
      if (row === undefined) throw new Error('the recorded environment vanished');
      await recordAudit(tx, {
        actor: principal,
        action: 'deploy',
        environmentId: row.id,
        target,
        outcome: 'ok',
      });
      await recordEnvironmentEvents(tx, row.id, [actionEvent(principal.login, 'deploy')]);
      await notifyWork(tx);
      return row;
    });
    return {
      accepted: true,
      action: 'deploy',
      environment: environmentView(changed, repo.fullName, deps.now()),
    };
  } catch (error) {
    await auditRefusal(deps.db, principal, 'deploy', environmentId, target, error);
    throw error;
  }
}

async function findConnectedRepo(
  deps: ServiceDeps,
  principal: Principal,
  input: { repoFullName: string; prNumber: number },
): Promise<ConnectedRepo> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(input.repoFullName))
    throw new InvalidInput(`"${input.repoFullName}" is not a repository name: use owner/name.`);
  if (!Number.isInteger(input.prNumber) || input.prNumber < 1 || input.prNumber > PR_NUMBER_MAX)
    throw new InvalidInput(
      `prNumber: "${input.prNumber}" is not a pull request number: use a whole number from 1 to ${PR_NUMBER_MAX}.`,
    );
  const [repo] = await deps.db
    .select({
      id: repos.id,
      fullName: repos.fullName,
      installationId: repos.installationId,
      enabled: repos.enabled,
      role: teamMemberships.role,
    })
    .from(repos)
    .leftJoin(
      teamMemberships,
      and(eq(teamMemberships.teamId, repos.teamId), eq(teamMemberships.userId, principal.userId)),
    )
    .where(sql`lower(${repos.fullName}) = ${input.repoFullName.toLowerCase()}`);
  if (
    repo === undefined ||
    !repo.enabled ||
    authorize({ isAdmin: principal.isAdmin, role: repo.role ?? undefined }, 'deploy') !== 'allow'
  )
    throw new NotFound(
      `No connected repository ${input.repoFullName} that you can see: install the Glimpse GitHub App on it, or ask its team to add you.`,
    );
  return repo;
}

/** A PR Glimpse has not recorded yet, as GitHub has it now; only open PRs can be deployed. */
async function fetchPullRequest(
  deps: ServiceDeps,
  repo: ConnectedRepo,
  prNumber: number,
): Promise<PullRequestSnapshot> {
  if (deps.github === undefined)
    throw new NotFound(
      `Glimpse has not seen PR #${prNumber} of ${repo.fullName} and cannot ask GitHub (no GitHub App configured): push to the PR so its webhook arrives, then deploy again.`,
    );
  const [owner = '', name = ''] = repo.fullName.split('/');
  const pr = await deps.github.getPullRequest(
    { installationId: repo.installationId, owner, repo: name },
    prNumber,
  );
  if (pr.state !== 'open')
    throw new Conflict(`PR #${prNumber} of ${repo.fullName} is closed: reopen it to deploy it.`);
  const headRepo = pr.head.repo?.full_name;
  return {
    repoId: repo.id,
    repoFullName: repo.fullName,
    number: pr.number,
    title: pr.title,
    url: `https://github.com/${repo.fullName}/pull/${pr.number}`,
    author: pr.user?.login,
    branch: pr.head.ref,
    baseBranch: pr.base.ref,
    headSha: pr.head.sha,
    headRepoFullName: headRepo,
    isFork: headRepo !== undefined && headRepo.toLowerCase() !== repo.fullName.toLowerCase(),
    isDraft: false,
    labels: pr.labels.map((label) => label.name),
    open: true,
    updatedAt: deps.now(),
  };
}
