import type { SimAppManifests } from './app-manifest-sim.ts';
import type { RecordedRequest } from './handle-request.ts';
import type { SimOAuth } from './oauth-sim.ts';
import type { Permission, SimCheckRun, SimCommitStatus, SimDeployment } from './sim-state.ts';

/** The simulator's API for tests: seed state, inject faults, inspect what the product sent. */
export interface GithubSimulatorOptions {
  port?: number;
  host?: string;
  appId?: number;
  appSlug?: string;
  /** Validate every JSON response against GitHub's OpenAPI description (default true). */
  validateResponses?: boolean;
  /** The simulator's clock (token expiry, rate-limit windows, timestamps). */
  now?: () => number;
}

export interface AddRepoOptions {
  fullName: string;
  gitDir: string;
  installationId: number;
  private?: boolean;
  defaultBranch?: string;
}

export interface OpenPullRequestOptions {
  repo: string;
  number?: number;
  headRef: string;
  /** Defaults to what headRef resolves to in the repo's git directory. */
  headSha?: string;
  baseRef?: string;
  title?: string;
  body?: string | null;
  author?: string;
  /** Full name of a fork the PR comes from (must be added with addRepo). */
  headRepo?: string;
  labels?: string[];
}

/** Route selector for fault injection: a route key such as `GET /repos/{owner}/{repo}/pulls`. */
export type RouteSelector = string | undefined;

export interface GithubSimulator {
  url: string;
  appId: number;
  appSlug: string;
  privateKey: string;
  requests: RecordedRequest[];
  unexpectedRequests: RecordedRequest[];
  schemaViolations: string[];
  /** OAuth web flow and user-token routes (sign-in). */
  oauth: SimOAuth;
  /** The GitHub App manifest flow: manifests posted, and the App created from the last one. */
  appManifests: SimAppManifests;
  addRepo(options: AddRepoOptions): Promise<{ id: number; fullName: string }>;
  /** Renames or transfers a repository: it keeps its id, pulls, comments and deployments. */
  renameRepo(from: string, to: string): void;
  openPullRequest(options: OpenPullRequestOptions): Promise<number>;
  closePullRequest(repo: string, number: number, options?: { merged?: boolean }): void;
  setPermission(repo: string, login: string, permission: Permission): void;
  setCheckRun(repo: string, sha: string, run: Omit<SimCheckRun, 'id'>): void;
  setCommitStatus(
    repo: string,
    sha: string,
    status: Pick<SimCommitStatus, 'context' | 'state'> & Partial<SimCommitStatus>,
  ): void;
  /** Adds a comment by someone else (or the App when author is omitted). */
  addComment(repo: string, issueNumber: number, body: string, author?: string): number;
  comments(repo: string, issueNumber: number): Array<{ id: number; body: string; author: string }>;
  /** Deletes a comment behind Glimpse's back. */
  deleteComment(repo: string, commentId: number): void;
  deployments(repo: string): SimDeployment[];
  failNext(route: RouteSelector, count: number, status?: number): void;
  slowNext(route: RouteSelector, ms: number, count?: number): void;
  /** Primary rate limit: every installation request fails until the reset, `resetInSeconds` from now. */
  exhaustRateLimit(options: { resetInSeconds: number; status?: 403 | 429 }): { resetAt: number };
  /** Uses up quota as other clients of the installations would, so responses report less remaining. */
  consumeRateLimit(count: number): void;
  /** Secondary rate limit on the next `count` matching requests, with `retry-after`. */
  secondaryRateLimit(options: { route?: RouteSelector; retryAfterSeconds: number; count?: number }): void;
  /** Revokes every installation token issued so far (as uninstalling or a key rotation would). */
  revokeTokens(): void;
  requestsTo(route: string): RecordedRequest[];
  /** Throws when a request hit an unknown route or a response broke the OpenAPI description. */
  assertClean(): void;
  close(): Promise<void>;
}
