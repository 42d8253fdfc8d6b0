import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FileTooLarge } from '../../domain/file-too-large.ts';
import { GLIMPSE_CONFIG_MAX_BYTES } from '../../domain/glimpse-config.ts';
import { pathExists } from '../../path-exists.ts';
import { RuntimeFailure } from '../runtime.ts';
import { parseCloneSource } from './clone-source.ts';
import { GitCommandError, type GitRunner } from './git-runner.ts';
import { KeyedLock } from './keyed-lock.ts';

export interface CheckoutRequest {
  repoFullName: string;
  cloneUrl: string;
  token: string | undefined;
  commitSha: string;
  prNumber: number;
  /** Where the worktree goes; must not exist yet. */
  worktree: string;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface FileRequest {
  repoFullName: string;
  cloneUrl: string;
  token: string | undefined;
  prNumber: number;
  /** A full commit sha, or a branch name. */
  ref: string;
  path: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * One bare clone per repo under `<root>/repos`, and one worktree per deployment. Fetches use a
 * URL given on the command line only: no remote is configured, so no URL (and no token) is kept
 * in the repository's config.
 */
export class SourceCache {
  readonly #root: string;
  readonly #git: GitRunner;
  readonly #allowFileRepos: boolean;
  readonly #locks = new KeyedLock();

  constructor(options: { root: string; git: GitRunner; allowFileRepos: boolean }) {
    this.#root = options.root;
    this.#git = options.git;
    this.#allowFileRepos = options.allowFileRepos;
  }

  repoDir(repoFullName: string): string {
    const slug = repoFullName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '_')
      .slice(0, 80);
    const hash = createHash('sha256').update(repoFullName).digest('hex').slice(0, 10);
    return path.join(this.#root, 'repos', `${slug}-${hash}.git`);
  }

  async checkout(request: CheckoutRequest): Promise<void> {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(request.commitSha)) {
      throw new RuntimeFailure(
        'Cannot fetch the source: the commit sha is not a full hexadecimal object id',
        {
          transient: false,
        },
      );
    }
    await this.#withRepo(request, async (bare, run) => {
      await this.#fetchCommit(bare, run, request);
      await mkdir(path.dirname(request.worktree), { recursive: true });
      await run(['worktree', 'add', '--quiet', '--detach', '--force', request.worktree, request.commitSha]);
    });
  }

  /**
   * A file of the repo at a commit sha or a branch name (fetched into the cache as needed), or undefined
   * when the file does not exist there. How `.glimpse.yml` is read when there is no GitHub App; a file over
   * the size Glimpse reads throws `FileTooLarge`.
   */
  async readFile(request: FileRequest): Promise<string | undefined> {
    const isSha = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(request.ref);
    return this.#withRepo(request, async (bare, run) => {
      let revision = request.ref;
      if (isSha) {
        await this.#fetchCommit(bare, run, { ...request, commitSha: request.ref });
      } else {
        revision = `refs/glimpse/branch/${request.ref}`;
        await this.#fetchBranch(bare, run, request, revision);
      }
      const object = `${revision}:${request.path}`;
      const size = await this.#git.run(['--git-dir', bare, 'cat-file', '-s', object]).then(
        (text) => Number.parseInt(text, 10),
        () => undefined,
      );
      if (size === undefined) return undefined;
      if (size > GLIMPSE_CONFIG_MAX_BYTES) throw new FileTooLarge(request.path, size);
      return this.#git.run(['--git-dir', bare, 'show', object]);
    });
  }

  /**
   * Fetches a branch (a fork PR's base) into `revision`. A name git cannot take as a branch, or a branch the
   * repository does not have, fails for good: trying again cannot change it.
   */
  async #fetchBranch(
    bare: string,
    run: (args: string[], token?: string) => Promise<string>,
    request: FileRequest,
    revision: string,
  ): Promise<void> {
    const valid = await this.#git.run(['--git-dir', bare, 'check-ref-format', '--branch', request.ref]).then(
      () => !request.ref.startsWith('-'),
      () => false,
    );
    if (!valid)
      throw new RuntimeFailure(
        `"${request.ref}" is not a valid branch name, so ${request.path} cannot be read from it`,
        { transient: false },
      );
    const url = this.#source(request).url;
    try {
      await run(
        ['fetch', '--quiet', '--no-tags', '--', url, `+refs/heads/${request.ref}:${revision}`],
        request.token,
      );
    } catch (error) {
      if (error instanceof GitCommandError && /couldn't find remote ref/i.test(error.message))
        throw new RuntimeFailure(
          `${request.repoFullName} has no branch "${request.ref}", so ${request.path} cannot be read from it`,
          { transient: false, cause: error },
        );
      throw error;
    }
  }

  #source(request: { cloneUrl: string }) {
    return parseCloneSource(request.cloneUrl, this.#allowFileRepos);
  }

  /** Runs `work` on the repo's bare clone (created on first use) under the repo's lock. */
  async #withRepo<T>(
    request: { repoFullName: string; cloneUrl: string; timeoutMs: number; signal: AbortSignal },
    work: (bare: string, run: (args: string[], token?: string) => Promise<string>) => Promise<T>,
  ): Promise<T> {
    const source = this.#source(request);
    const bare = this.repoDir(request.repoFullName);
    const run = (args: string[], token?: string) =>
      this.#git.run(['--git-dir', bare, ...args], {
        token,
        allowProtocols: source.protocol === 'file' ? 'file' : source.protocol,
        signal: request.signal,
        timeoutMs: request.timeoutMs,
      });
    return this.#locks.run(bare, async () => {
      try {
        if (!(await pathExists(bare))) {
          await mkdir(path.dirname(bare), { recursive: true });
          await this.#git.run(['init', '--quiet', '--bare', bare]);
        }
        return await work(bare, run);
      } catch (error) {
        if (error instanceof RuntimeFailure || error instanceof FileTooLarge) throw error;
        if (request.signal.aborted) throw request.signal.reason;
        const message = error instanceof GitCommandError ? error.message : String(error);
        throw new RuntimeFailure(`Cannot fetch the source of ${request.repoFullName}: ${message}`, {
          transient: true,
          cause: error,
        });
      }
    });
  }

  async #fetchCommit(
    bare: string,
    run: (args: string[], token?: string) => Promise<string>,
    request: { cloneUrl: string; commitSha: string; prNumber: number; token: string | undefined },
  ): Promise<void> {
    if (await this.#hasCommit(bare, request.commitSha)) return;
    const url = this.#source(request).url;
    const ref = `refs/glimpse/pr-${request.prNumber}`;
    try {
      await run(['fetch', '--quiet', '--no-tags', '--', url, `+${request.commitSha}:${ref}`], request.token);
    } catch {
      // Servers that do not allow fetching a bare sha still serve the PR's head ref.
      await run(
        ['fetch', '--quiet', '--no-tags', '--', url, `+refs/pull/${request.prNumber}/head:${ref}`],
        request.token,
      );
    }
    if (!(await this.#hasCommit(bare, request.commitSha))) {
      throw new RuntimeFailure(
        `Commit ${request.commitSha.slice(0, 12)} is not in the pull request's history`,
        {
          transient: true,
        },
      );
    }
  }

  /** Drops the ref that kept a PR's commits; their objects go with git's next gc. */
  async forgetPullRequest(repoFullName: string, prNumber: number): Promise<void> {
    const bare = this.repoDir(repoFullName);
    if (!(await pathExists(bare))) return;
    await this.#locks.run(bare, () =>
      this.#git.run(['--git-dir', bare, 'update-ref', '-d', `refs/glimpse/pr-${prNumber}`]).catch(() => ''),
    );
  }

  /** Removes a worktree directory and git's record of it; safe to call when either is missing. */
  async removeWorktree(repoFullName: string, worktree: string): Promise<void> {
    const bare = this.repoDir(repoFullName);
    await rm(worktree, { recursive: true, force: true });
    if (!(await pathExists(bare))) return;
    await this.#locks.run(bare, () =>
      this.#git.run(['--git-dir', bare, 'worktree', 'prune']).catch(() => ''),
    );
  }

  async #hasCommit(bare: string, sha: string): Promise<boolean> {
    return this.#git.run(['--git-dir', bare, 'cat-file', '-e', `${sha}^{commit}`]).then(
      () => true,
      () => false,
    );
  }
}
