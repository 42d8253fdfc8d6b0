import type { GitRepoFixture } from '../create-git-repo.ts';
import type { GithubSimulator } from '../github-sim/start-github-simulator.ts';
import { pullRequestOverrides } from '../pull-request-overrides.ts';
import { sendWebhook } from '../webhook-sender.ts';
import { REPLICA_WEBHOOK_SECRET, type ReplicaSet } from './replica-set.ts';

export interface ChaosPullRequest {
  number: number;
  sha: string;
  open: boolean;
}

/**
 * Acts as people and GitHub do: opens PRs, pushes commits to them and closes them, each on the GitHub
 * simulator first and then as a signed webhook to a live replica (to another one, as GitHub redelivers,
 * when the chosen one dies before it answers).
 */
export class PullRequestDriver {
  readonly prs = new Map<number, ChaosPullRequest>();
  readonly #github: GithubSimulator;
  readonly #git: GitRepoFixture;
  readonly #replicas: ReplicaSet;
  readonly #repo: { id: number; fullName: string };
  readonly #random: () => number;
  #clock = Date.parse('2024-01-01T00:00:00Z');

  constructor(options: {
    github: GithubSimulator;
    git: GitRepoFixture;
    replicas: ReplicaSet;
    repo: { id: number; fullName: string };
    random: () => number;
  }) {
    this.#github = options.github;
    this.#git = options.git;
    this.#replicas = options.replicas;
    this.#repo = options.repo;
    this.#random = options.random;
  }

  async open(number: number): Promise<void> {
    const sha = this.#commit(number);
    this.prs.set(number, { number, sha, open: true });
    await this.#github.openPullRequest({
      repo: this.#repo.fullName,
      number,
      headRef: branch(number),
      headSha: sha,
    });
    await this.#deliver(number, 'opened');
  }

  async push(number: number): Promise<void> {
    const pr = this.prs.get(number);
    if (pr === undefined || !pr.open) return;
    pr.sha = this.#commit(number);
    await this.#github.openPullRequest({
      repo: this.#repo.fullName,
      number,
      headRef: branch(number),
      headSha: pr.sha,
    });
    await this.#deliver(number, 'synchronize');
  }

  async close(number: number): Promise<void> {
    const pr = this.prs.get(number);
    if (pr === undefined || !pr.open) return;
    pr.open = false;
    this.#github.closePullRequest(this.#repo.fullName, number);
    await this.#deliver(number, 'closed');
  }

  openNumbers(): number[] {
    return [...this.prs.values()].filter((pr) => pr.open).map((pr) => pr.number);
  }

  #commit(number: number): string {
    return this.#git.commit({ [`pr-${number}.txt`]: String(this.#random()) }, { branch: branch(number) });
  }

  async #deliver(number: number, action: 'opened' | 'synchronize' | 'closed'): Promise<void> {
    const pr = this.prs.get(number);
    if (pr === undefined) return;
    this.#clock += 1_000;
    const overrides = pullRequestOverrides({
      action,
      repo: this.#repo,
      number,
      sha: pr.sha,
      open: pr.open,
      updatedAt: new Date(this.#clock).toISOString(),
    });
    for (let tries = 0; ; tries++) {
      const live = this.#replicas.live();
      const target = live[Math.floor(this.#random() * live.length)];
      try {
        if (target === undefined) throw new Error('no replica is up');
        const response = await sendWebhook({
          url: target.webhookUrl,
          secret: REPLICA_WEBHOOK_SECRET,
          event: 'pull_request',
          action: action === 'closed' ? 'closed' : 'opened',
          overrides,
        });
        // 200: taken, with nothing left to queue (a retry of a delivery whose answer a killed replica never sent).
        if (response.status === 202 || response.status === 200) return;
        throw new Error(`${target.name} answered ${response.status}`);
      } catch (error) {
        if (tries >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

function branch(number: number): string {
  return `feature-${number}`;
}
