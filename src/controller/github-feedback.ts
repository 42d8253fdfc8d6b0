import { type PrCommentFailure, type PrCommentStatus, renderPrComment } from '../domain/pr-comment.ts';
import type { Redactor } from '../domain/redactor.ts';
import { createPreviewDeployment, reportDeploymentStatus } from '../github/deployment-feedback.ts';
import type { GithubClient } from '../github/github-client.ts';
import { upsertPrComment } from '../github/pr-feedback.ts';
import type { SendGuard } from '../github/send-guard.ts';
import type { Logger } from '../logger.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import { LeaseLost } from './lease-lost.ts';
import { repoRef, type WorkItem } from './work-item.ts';

export interface CommentUpdate {
  status: PrCommentStatus;
  previewUrl?: string | undefined;
  queuePosition?: number | undefined;
  failure?: PrCommentFailure | undefined;
  waitingFor?: string | undefined;
}

/**
 * What the PR shows: one comment kept up to date and a GitHub Deployment per deployed commit. Best effort:
 * a GitHub outage is logged and never fails or blocks a deployment. Without a GitHub App it does nothing.
 */
export class GithubFeedback {
  readonly #github: GithubClient | undefined;
  readonly #updates: EnvironmentUpdates;
  readonly #publicUrl: string;
  readonly #redactor: Redactor;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(deps: {
    github: GithubClient | undefined;
    updates: EnvironmentUpdates;
    publicUrl: string;
    redactor: Redactor;
    logger: Logger;
    now: () => Date;
  }) {
    this.#github = deps.github;
    this.#updates = deps.updates;
    this.#publicUrl = deps.publicUrl;
    this.#redactor = deps.redactor;
    this.#log = deps.logger;
    this.#now = deps.now;
  }

  environmentPage(item: WorkItem): string {
    return `${this.#publicUrl}/environments/${item.env.namespace}`;
  }

  /**
   * Creates or updates the PR's one comment. What is known of it comes from the database at this moment, not
   * from the item. `mayExist: false`: the environment is brand new, so unless the database says a comment was
   * set out to be created, there is no earlier one to look for. Throws `LeaseLost`, sending nothing more, once
   * another attempt holds the environment.
   */
  async comment(item: WorkItem, update: CommentUpdate, options: { mayExist?: boolean } = {}): Promise<void> {
    const github = this.#github;
    if (github === undefined) return;
    const body = renderPrComment({
      status: update.status,
      commitSha: item.env.headSha,
      previewUrl: update.previewUrl,
      environmentUrl: this.environmentPage(item),
      now: this.#now(),
      queuePosition: update.queuePosition,
      failure: update.failure,
      waitingFor: update.waitingFor,
    });
    await this.#bestEffort(item, 'update the PR comment', async () => {
      const stored = await this.#updates.commentState(item);
      if (stored.commentId === null && !stored.requested) await this.#updates.markCommentRequested(item);
      const result = await upsertPrComment(github, {
        repo: repoRef(item.repo),
        prNumber: item.env.prNumber,
        body,
        commentId: stored.commentId,
        lastBodyHash: stored.commentHash,
        redactor: this.#redactor,
        mayExist: stored.requested || (options.mayExist ?? true),
        guard: this.#held(item),
      });
      if (result.action !== 'unchanged')
        await this.#updates.recordComment(item, result.commentId, result.bodyHash, {
          created: result.action === 'created' || result.action === 'recreated',
          status: update.status,
        });
    });
  }

  /** A comment of its own on the PR, answering someone (not the status comment). */
  async reply(item: WorkItem, body: string): Promise<void> {
    const github = this.#github;
    if (github === undefined) return;
    await this.#bestEffort(item, 'answer on the PR', async () => {
      await github.createComment(repoRef(item.repo), item.env.prNumber, body, this.#held(item));
    });
  }

  /** Creates the GitHub deployment of this attempt; `inProgress` also reports it started. */
  async deploymentStarted(item: WorkItem, deploymentId: string, inProgress = true): Promise<void> {
    const github = this.#github;
    if (github === undefined) return;
    await this.#bestEffort(item, 'create the GitHub deployment', async () => {
      const repo = repoRef(item.repo);
      const id = await createPreviewDeployment(github, {
        repo,
        prNumber: item.env.prNumber,
        sha: item.env.headSha,
        guard: this.#held(item),
      });
      await this.#updates.recordGithubDeployment(deploymentId, item, id);
      if (!inProgress) return;
      await reportDeploymentStatus(
        github,
        repo,
        id,
        { state: 'in_progress', logUrl: this.environmentPage(item) },
        this.#redactor,
        this.#held(item),
      );
    });
  }

  /** This attempt reports on a GitHub deployment an earlier attempt created (no request to GitHub). */
  async adoptDeployment(item: WorkItem, deploymentId: string, githubDeploymentId: number): Promise<void> {
    await this.#updates.recordGithubDeployment(deploymentId, item, githubDeploymentId);
  }

  /**
   * The deployment went live. It is noted as maybe active before the `success` is sent, and as the only one
   * once GitHub answered, so a deletion after a crash in between still finds every deployment to make inactive.
   */
  async deploymentSucceeded(item: WorkItem, url: string): Promise<void> {
    const id = item.env.githubDeploymentId;
    if (this.#github === undefined || id === null) return;
    await this.#updates.mayBecomeActive(item, id);
    const status = { state: 'success', environmentUrl: url, logUrl: this.environmentPage(item) } as const;
    if (await this.#status(item, status, id)) await this.#updates.onlyActive(item, [id]);
  }

  async deploymentFailed(item: WorkItem, reason: string): Promise<void> {
    await this.#status(item, { state: 'failure', reason, logUrl: this.environmentPage(item) });
  }

  /** The environment is gone: its GitHub deployment, and every other one GitHub may show active, go inactive. */
  async deploymentInactive(item: WorkItem, maybeActive: readonly number[]): Promise<void> {
    if (this.#github === undefined) return;
    const status = { state: 'inactive', logUrl: this.environmentPage(item) } as const;
    const ids = new Set(maybeActive);
    if (item.env.githubDeploymentId !== null) ids.add(item.env.githubDeploymentId);
    const left: number[] = [];
    for (const id of ids) if (!(await this.#status(item, status, id))) left.push(id);
    if (maybeActive.length > 0) await this.#updates.onlyActive(item, left);
  }

  /** Best effort: false when GitHub could not be told (it is logged). */
  async #status(
    item: WorkItem,
    status: Parameters<typeof reportDeploymentStatus>[3],
    id = item.env.githubDeploymentId,
  ): Promise<boolean> {
    const github = this.#github;
    if (github === undefined || id === null) return false;
    let told = false;
    await this.#bestEffort(item, `report deployment ${status.state}`, async () => {
      await reportDeploymentStatus(github, repoRef(item.repo), id, status, this.#redactor, this.#held(item));
      told = true;
    });
    return told;
  }

  /**
   * Every write to GitHub checks, right before it is sent, that this attempt still holds the environment:
   * a write can wait seconds for its turn, and one sent after a takeover could undo the new holder's (a
   * "success" landing after the PR closed left its deployment active).
   */
  #held(item: WorkItem): SendGuard {
    return () => this.#updates.ensureHeld(item);
  }

  async #bestEffort(item: WorkItem, what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      this.#log.warn(
        { err: error, environment: item.env.namespace, repo: item.repo.fullName, pr: item.env.prNumber },
        `could not ${what}`,
      );
    }
  }
}
