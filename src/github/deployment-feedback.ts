import type { Redactor } from '../domain/redactor.ts';
import type { GithubClient, RepoRef } from './github-client.ts';

/** GitHub Deployments for previews: one per deployed commit, in environment `preview/pr-<number>`. */
export function previewEnvironmentName(prNumber: number): string {
  return `preview/pr-${prNumber}`;
}

export interface CreatePreviewDeploymentInput {
  repo: RepoRef;
  prNumber: number;
  sha: string;
}

export async function createPreviewDeployment(
  github: GithubClient,
  input: CreatePreviewDeploymentInput,
): Promise<number> {
  return github.createDeployment(input.repo, {
    ref: input.sha,
    environment: previewEnvironmentName(input.prNumber),
    description: `Glimpse preview of PR #${input.prNumber}`,
    // Not transient: a success status then marks the PR's earlier deployments inactive (GitHub's
    // auto_inactive skips transient ones), so a PR has one active deployment however its attempts ended.
    transientEnvironment: false,
    productionEnvironment: false,
    // Previews deploy whatever the checks say, and must never merge the base branch into the PR.
    requiredContexts: [],
    autoMerge: false,
    payload: { pr: input.prNumber },
  });
}

export type PreviewDeploymentStatus =
  | { state: 'in_progress'; logUrl: string }
  | { state: 'success'; environmentUrl: string; logUrl: string }
  | { state: 'failure'; logUrl: string; reason: string }
  | { state: 'inactive'; logUrl: string };

/** GitHub caps deployment status descriptions at 140 characters. */
const MAX_DESCRIPTION = 140;

export async function reportDeploymentStatus(
  github: GithubClient,
  repo: RepoRef,
  deploymentId: number,
  status: PreviewDeploymentStatus,
  redactor: Redactor,
): Promise<void> {
  const describe = (text: string) => truncate(redactor.redact(text).replace(/\s+/g, ' ').trim());
  const link = (url: string) => redactor.redact(url);
  switch (status.state) {
    case 'in_progress':
      return github.setDeploymentStatus(repo, deploymentId, {
        state: 'in_progress',
        description: 'Deploying the preview',
        logUrl: link(status.logUrl),
      });
    case 'success':
      return github.setDeploymentStatus(repo, deploymentId, {
        state: 'success',
        description: 'Preview is running',
        environmentUrl: link(status.environmentUrl),
        logUrl: link(status.logUrl),
      });
    case 'failure':
      return github.setDeploymentStatus(repo, deploymentId, {
        state: 'failure',
        description: describe(status.reason),
        logUrl: link(status.logUrl),
      });
    case 'inactive':
      return github.setDeploymentStatus(repo, deploymentId, {
        state: 'inactive',
        description: 'Preview removed',
        logUrl: link(status.logUrl),
      });
  }
}

function truncate(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}
