import type { Redactor } from '../domain/redactor.ts';
import type { DeploymentStatusInput, GithubClient, RepoRef } from './github-client.ts';
import type { SendGuard } from './send-guard.ts';

/** GitHub Deployments for previews: one per deployed commit, in environment `preview/pr-<number>`. */
export function previewEnvironmentName(prNumber: number): string {
  return `preview/pr-${prNumber}`;
}

export interface CreatePreviewDeploymentInput {
  repo: RepoRef;
  prNumber: number;
  sha: string;
  guard?: SendGuard | undefined;
}

export async function createPreviewDeployment(
  github: GithubClient,
  input: CreatePreviewDeploymentInput,
): Promise<number> {
  const deployment = {
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
  };
  return github.createDeployment(input.repo, deployment, input.guard);
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
  guard?: SendGuard,
): Promise<void> {
  await github.setDeploymentStatus(repo, deploymentId, statusInput(status, redactor), guard);
}

function statusInput(status: PreviewDeploymentStatus, redactor: Redactor): DeploymentStatusInput {
  const describe = (text: string) => truncate(redactor.redact(text).replace(/\s+/g, ' ').trim());
  const link = (url: string) => redactor.redact(url);
  switch (status.state) {
    case 'in_progress':
      return { state: 'in_progress', description: 'Deploying the preview', logUrl: link(status.logUrl) };
    case 'success':
      return {
        state: 'success',
        description: 'Preview is running',
        environmentUrl: link(status.environmentUrl),
        logUrl: link(status.logUrl),
      };
    case 'failure':
      return { state: 'failure', description: describe(status.reason), logUrl: link(status.logUrl) };
    case 'inactive':
      return { state: 'inactive', description: 'Preview removed', logUrl: link(status.logUrl) };
  }
}

function truncate(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}
