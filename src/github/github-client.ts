import { z } from 'zod';
import { NotFound } from '../domain/errors.ts';
import { FileTooLarge } from '../domain/file-too-large.ts';
import { GLIMPSE_CONFIG_MAX_BYTES } from '../domain/glimpse-config.ts';
import { type CheckState, combineChecks } from './combine-checks.ts';
import type { GithubApp } from './create-github-app.ts';
import { type FileAt, readFilesWithGraphql } from './read-files-graphql.ts';
import { guardedRequest, type SendGuard } from './send-guard.ts';
import { translateGithubError } from './translate-github-error.ts';

/** A repository as Glimpse addresses it: through the App installation that can see it. */
export interface RepoRef {
  installationId: number;
  owner: string;
  repo: string;
}

export const PullRequestInfo = z.object({
  number: z.number(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean().optional(),
  title: z.string(),
  user: z.object({ login: z.string() }).nullable(),
  labels: z.array(z.object({ name: z.string() })),
  head: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }).nullable() }),
  base: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }) }),
});
export type PullRequestInfo = z.infer<typeof PullRequestInfo>;

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive' | 'error' | 'queued';

export interface CreateDeploymentInput {
  /** The commit sha to deploy. */
  ref: string;
  environment: string;
  description: string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  requiredContexts: string[];
  autoMerge: boolean;
  payload?: Record<string, unknown>;
}

export interface DeploymentStatusInput {
  state: DeploymentState;
  description?: string;
  environmentUrl?: string;
  logUrl?: string;
}

/** The GitHub operations Glimpse needs. Every failure is a domain error (NotFound, Unavailable, ...). */
export interface GithubClient {
  /** The file's content at `ref`, or undefined when the file (or ref) does not exist. */
  readFile(repo: RepoRef, path: string, ref: string): Promise<string | undefined>;
  /**
   * Like `readFile` for many files (each at its own ref) in one request, answered in order. A file over the
   * size Glimpse reads is answered with a `FileTooLarge` (not thrown), so the others still get their answers.
   */
  readFiles(repo: RepoRef, files: readonly FileAt[]): Promise<(string | undefined | FileTooLarge)[]>;
  downloadTarball(repo: RepoRef, ref: string): Promise<Buffer>;
  hasWriteAccess(repo: RepoRef, login: string): Promise<boolean>;
  listOpenPullRequestNumbers(repo: RepoRef): Promise<number[]>;
  getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo>;
  checkState(repo: RepoRef, sha: string): Promise<CheckState>;
  // The writes take a guard, checked right before each attempt is sent; what it throws reaches the caller as is.
  createComment(repo: RepoRef, issueNumber: number, body: string, guard?: SendGuard): Promise<number>;
  /** Throws NotFound when the comment was deleted. */
  updateComment(repo: RepoRef, commentId: number, body: string, guard?: SendGuard): Promise<void>;
  /** Pages through all comments of the issue; the id of the first whose body contains `marker`. */
  findComment(repo: RepoRef, issueNumber: number, marker: string): Promise<number | undefined>;
  createDeployment(repo: RepoRef, input: CreateDeploymentInput, guard?: SendGuard): Promise<number>;
  setDeploymentStatus(
    repo: RepoRef,
    deploymentId: number,
    status: DeploymentStatusInput,
    guard?: SendGuard,
  ): Promise<void>;
}

const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

export function createGithubClient(app: GithubApp): GithubClient {
  const call = async <T>(
    repo: RepoRef,
    action: string,
    run: (octokit: ReturnType<GithubApp['installationOctokit']>) => Promise<T>,
  ) => {
    try {
      return await run(app.installationOctokit(repo.installationId));
    } catch (error) {
      throw translateGithubError(error, `${action} in ${repo.owner}/${repo.repo}`);
    }
  };
  /** Like `call` for a write: `guard` runs before each attempt, and its refusal is passed on untranslated. */
  const write = async <T>(
    repo: RepoRef,
    action: string,
    guard: SendGuard | undefined,
    run: (
      octokit: ReturnType<GithubApp['installationOctokit']>,
      options: Partial<ReturnType<typeof guardedRequest>>,
    ) => Promise<T>,
  ) => {
    if (guard === undefined) return call(repo, action, (octokit) => run(octokit, {}));
    let refusal: { error: unknown } | undefined;
    const remembered: SendGuard = () =>
      guard().catch((error: unknown) => {
        refusal = { error };
        throw error;
      });
    try {
      return await call(repo, action, (octokit) => run(octokit, guardedRequest(remembered)));
    } catch (error) {
      if (refusal !== undefined) throw refusal.error;
      throw error;
    }
  };
  const at = (repo: RepoRef) => ({ owner: repo.owner, repo: repo.repo });
  const readFile: GithubClient['readFile'] = async (repo, path, ref) => {
    let data: unknown;
    try {
      data = await call(repo, `read ${path} at ${ref}`, async (octokit) => {
        const answer = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
          ...at(repo),
          path,
          ref,
        });
        return answer.data;
      });
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
    const file = z
      .object({ type: z.literal('file'), size: z.number(), content: z.string(), encoding: z.string() })
      .safeParse(data);
    if (!file.success) return undefined;
    // GitHub sends no content (encoding "none") past 1 MB: such a file is too large, not absent.
    if (file.data.size > GLIMPSE_CONFIG_MAX_BYTES || file.data.encoding !== 'base64')
      throw new FileTooLarge(path, file.data.size);
    return Buffer.from(file.data.content, 'base64').toString('utf8');
  };

  return {
    readFile,
    async readFiles(repo, files) {
      let answers: Awaited<ReturnType<typeof readFilesWithGraphql>>;
      try {
        answers = await call(repo, `read ${files.length} files`, (octokit) =>
          readFilesWithGraphql(octokit, at(repo), files),
        );
      } catch (error) {
        if (error instanceof NotFound) return files.map(() => undefined);
        throw error;
      }
      return Promise.all(
        answers.map((answer, index) => {
          const file = files[index] as FileAt;
          if (answer !== 'fallback') return answer;
          return readFile(repo, file.path, file.ref).catch((error: unknown) => {
            if (error instanceof FileTooLarge) return error;
            throw error;
          });
        }),
      );
    },
    downloadTarball: (repo, ref) =>
      call(repo, `download the tarball of ${ref}`, async (octokit) => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
          ...at(repo),
          ref,
        });
        if (!(data instanceof ArrayBuffer))
          throw new TypeError('GitHub sent the tarball in an unexpected form');
        return Buffer.from(data);
      }),
    hasWriteAccess: (repo, login) =>
      call(repo, `check the permission of ${login}`, async (octokit) => {
        const { data } = await octokit.request(
          'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
          {
            ...at(repo),
            username: login,
          },
        );
        return (
          WRITE_PERMISSIONS.has(data.role_name) || data.permission === 'admin' || data.permission === 'write'
        );
      }),
    listOpenPullRequestNumbers: (repo) =>
      call(repo, 'list open pull requests', async (octokit) => {
        const pulls = await octokit.paginate('GET /repos/{owner}/{repo}/pulls', {
          ...at(repo),
          state: 'open',
          per_page: 100,
        });
        return pulls.map((pull) => pull.number);
      }),
    getPullRequest: (repo, number) =>
      call(repo, `get pull request #${number}`, async (octokit) => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          ...at(repo),
          pull_number: number,
        });
        return PullRequestInfo.parse(data);
      }),
    checkState: (repo, sha) =>
      call(repo, `read the checks of ${sha}`, async (octokit) => {
        const runs = await octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
          ...at(repo),
          ref: sha,
          per_page: 100,
        });
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
          ...at(repo),
          ref: sha,
          per_page: 100,
        });
        return combineChecks(runs, data.statuses);
      }),
    createComment: (repo, issueNumber, body, guard) =>
      write(repo, `comment on #${issueNumber}`, guard, async (octokit, guarded) => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...guarded,
          ...at(repo),
          issue_number: issueNumber,
          body,
        });
        return Number(data.id);
      }),
    updateComment: (repo, commentId, body, guard) =>
      write(repo, `update comment ${commentId}`, guard, async (octokit, guarded) => {
        await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          ...guarded,
          ...at(repo),
          comment_id: commentId,
          body,
        });
      }),
    findComment: (repo, issueNumber, marker) =>
      call(repo, `find the Glimpse comment on #${issueNumber}`, async (octokit) => {
        const pages = octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...at(repo),
          issue_number: issueNumber,
          per_page: 100,
        });
        for await (const page of pages) {
          const found = page.data.find((comment) => comment.body?.includes(marker));
          if (found) return Number(found.id);
        }
        return undefined;
      }),
    createDeployment: (repo, input, guard) =>
      write(repo, `create a deployment of ${input.ref}`, guard, async (octokit, guarded) => {
        const { data, status } = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
          ...guarded,
          ...at(repo),
          ref: input.ref,
          environment: input.environment,
          description: input.description,
          transient_environment: input.transientEnvironment,
          production_environment: input.productionEnvironment,
          required_contexts: input.requiredContexts,
          auto_merge: input.autoMerge,
          payload: input.payload ?? {},
        });
        // 202 means GitHub merged the default branch in first (auto_merge) and created nothing.
        if (status !== 201 || !('id' in data)) throw new TypeError('GitHub created no deployment');
        return Number(data.id);
      }),
    setDeploymentStatus: (repo, deploymentId, status, guard) =>
      write(repo, `set deployment ${deploymentId} to ${status.state}`, guard, async (octokit, guarded) => {
        await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
          ...guarded,
          ...at(repo),
          deployment_id: deploymentId,
          state: status.state,
          ...(status.description !== undefined ? { description: status.description } : {}),
          ...(status.environmentUrl !== undefined ? { environment_url: status.environmentUrl } : {}),
          ...(status.logUrl !== undefined ? { log_url: status.logUrl } : {}),
        });
      }),
  };
}
