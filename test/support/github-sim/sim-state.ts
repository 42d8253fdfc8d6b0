/** The simulator's in-memory model of GitHub. Plain data; the routes read and change it. */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface SimUser {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface SimComment {
  id: number;
  issueNumber: number;
  body: string;
  user: SimUser;
  createdAt: string;
  updatedAt: string;
}

export interface SimPullRequest {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  user: SimUser;
  headRef: string;
  headSha: string;
  /** Full name of the head repository; differs from the base repo for a PR from a fork. */
  headRepoFullName: string;
  baseRef: string;
  baseSha: string;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface SimDeploymentStatus {
  id: number;
  state: string;
  description: string;
  environmentUrl: string;
  logUrl: string;
  createdAt: string;
}

export interface SimDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: Record<string, unknown>;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  requiredContexts: string[] | undefined;
  autoMerge: boolean;
  createdAt: string;
  statuses: SimDeploymentStatus[];
}

export interface SimCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion:
    | 'success'
    | 'failure'
    | 'neutral'
    | 'cancelled'
    | 'skipped'
    | 'timed_out'
    | 'action_required'
    | null;
}

export interface SimCommitStatus {
  id: number;
  context: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export interface SimRepo {
  id: number;
  owner: SimUser;
  name: string;
  fullName: string;
  gitDir: string;
  installationId: number;
  private: boolean;
  defaultBranch: string;
  createdAt: string;
  pulls: Map<number, SimPullRequest>;
  comments: Map<number, SimComment>;
  deletedComments: Set<number>;
  deployments: Map<number, SimDeployment>;
  permissions: Map<string, Permission>;
  checkRuns: Map<string, SimCheckRun[]>;
  statuses: Map<string, SimCommitStatus[]>;
}

export interface SimState {
  appId: number;
  appSlug: string;
  bot: SimUser;
  repos: Map<string, SimRepo>;
  nextId: () => number;
  nowIso: () => string;
}
