import type { GithubFeedback } from './github-feedback.ts';
import type { WorkItem } from './work-item.ts';

/**
 * What the PR hears about one deploy attempt. "Building" (the GitHub deployment's in_progress status and the
 * comment) is announced only if the attempt is still under way after `delayMs`: a deploy that finishes sooner
 * goes straight to its outcome, which saves three GitHub requests per preview. With `delayMs` 0 the start is
 * announced at once, before the deploy. A retry of an attempt that announced itself carries on with that
 * attempt's GitHub deployment: the PR already says building.
 */
export class AttemptFeedback {
  readonly #feedback: GithubFeedback;
  readonly #item: WorkItem;
  readonly #deploymentId: string;
  /** False for a brand-new environment: no earlier comment to look for on the PR. */
  readonly #mayExist: boolean;
  #timer: NodeJS.Timeout | undefined;
  #announcing: Promise<void> | undefined;
  #deploymentCreated = false;

  readonly #earlierGithubDeploymentId: number | undefined;

  constructor(
    feedback: GithubFeedback,
    item: WorkItem,
    deployment: { id: string; mayExist: boolean; earlierGithubDeploymentId: number | undefined },
  ) {
    this.#feedback = feedback;
    this.#item = item;
    this.#deploymentId = deployment.id;
    this.#mayExist = deployment.mayExist;
    this.#earlierGithubDeploymentId = deployment.earlierGithubDeploymentId;
  }

  get commentOptions(): { mayExist: boolean } {
    return { mayExist: this.#mayExist };
  }

  /** Schedules the announcement (or makes it now, when `delayMs` is 0). */
  async begin(delayMs: number): Promise<void> {
    if (this.#earlierGithubDeploymentId !== undefined) {
      this.#deploymentCreated = true;
      await this.#feedback.adoptDeployment(this.#item, this.#deploymentId, this.#earlierGithubDeploymentId);
      return;
    }
    if (delayMs <= 0) {
      await this.#announce();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#announcing = this.#announce();
    }, delayMs);
  }

  /** The attempt is over: an announcement not yet made is dropped; one under way is waited for. */
  async settle(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#announcing;
  }

  /** Before reporting the outcome: the GitHub deployment of this attempt exists. */
  async ensureDeployment(): Promise<void> {
    await this.settle();
    if (this.#deploymentCreated) return;
    this.#deploymentCreated = true;
    await this.#feedback.deploymentStarted(this.#item, this.#deploymentId, false);
  }

  async #announce(): Promise<void> {
    this.#deploymentCreated = true;
    await this.#feedback.deploymentStarted(this.#item, this.#deploymentId);
    await this.#feedback.comment(this.#item, { status: 'building' }, this.commentOptions);
  }
}
