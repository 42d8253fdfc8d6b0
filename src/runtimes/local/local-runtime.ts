import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../../domain/errors.ts';
import type { LogLine } from '../../domain/log-line.ts';
import { pathExists } from '../../path-exists.ts';
import type { Deployed, EnvironmentRef, EnvironmentSpec, LogOptions, Observed, Runtime } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import { checkSpec } from './check-spec.ts';
import {
  crashFailure,
  type DeployContext,
  deployPreview,
  discard,
  fingerprintOf,
  sandboxHome,
} from './deploy-preview.ts';
import { GitRunner } from './git-runner.ts';
import { freePort } from './health-check.ts';
import { KeyedLock } from './keyed-lock.ts';
import type { LocalRuntimeOptions, PreviewFailure, ResolvedOptions } from './local-runtime-options.ts';
import { resolveOptions } from './local-runtime-options.ts';
import { followLogFile, readLogTail } from './log-reader.ts';
import { observePreview } from './observe-preview.ts';
import { isNamespace } from './preview-host.ts';
import { guardForPreviewUids } from './preview-ownership.ts';
import type { Deployment, PreviewRecord } from './preview-record.ts';
import { toPreviewState } from './preview-record.ts';
import { choosePreviewRoot } from './preview-root.ts';
import { removePreviewState, writePreviewState } from './preview-state.ts';
import { recoverPreviews } from './recover-previews.ts';
import { ReverseProxy } from './reverse-proxy.ts';
import { type FileRequest, SourceCache } from './source-cache.ts';
import type { CrashReport } from './supervisor.ts';
import { UidPool } from './uid-pool.ts';

const FINAL_LOG = 'final.log';

/**
 * The embedded runtime: each preview is a supervised process group on this machine, behind the
 * built-in reverse proxy. Create it with `createLocalRuntime`, which also recovers what a previous
 * Glimpse process left behind.
 */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  readonly #options: ResolvedOptions;
  readonly #proxy: ReverseProxy;
  readonly #source: SourceCache;
  readonly #previews = new Map<string, PreviewRecord>();
  readonly #locks = new KeyedLock();
  readonly #writes = new KeyedLock();
  readonly #ports = new Set<number>();
  /** The previews' own uids, when Glimpse runs as root (see `chooseSandbox`). */
  readonly #uids: UidPool | undefined;
  readonly #base: string;
  /** Namespaces with a destroy waiting or running; deploys queued behind it give up. */
  readonly #destroying = new Map<string, number>();
  #closed = false;
  readonly #context: DeployContext;
  #proxyPort = 0;

  /**
   * `root` is where clones, worktrees, logs and the previews' HOME go, in `base` (the data dir or a spare
   * folder; see `choosePreviewRoot`).
   */
  constructor(options: LocalRuntimeOptions, root: string, base: string) {
    this.#base = base;
    this.#options = resolveOptions(options, root);
    const o = this.#options;
    const { sandbox } = o;
    this.#uids =
      sandbox.mode === 'none' || sandbox.uids === undefined ? undefined : new UidPool(sandbox.uids);
    this.#proxy = new ReverseProxy({
      baseDomain: o.baseDomain,
      publicUrl: o.publicUrl,
      scheme: o.previewUrlScheme,
      logger: o.logger,
      onAnswer: o.metrics === undefined ? undefined : (status) => o.metrics?.localProxyAnswered(status),
    });
    o.metrics?.observeLocalPreviews(() => this.#processCount());
    const git = new GitRunner({ root, path: o.childPath });
    this.#source = new SourceCache({ root, git, allowFileRepos: o.allowFileRepos });
    this.#context = {
      options: o,
      source: this.#source,
      proxy: this.#proxy,
      home: path.join(root, 'home'),
      persist: (preview) => this.#persist(preview),
      url: (namespace) => this.urlOf(namespace),
      allocatePort: () => this.#allocatePort(),
      releasePort: (port) => this.#ports.delete(port),
      onGiveUp: (preview, deployment, report) => this.#onGiveUp(preview, deployment, report),
    };
  }

  /** Preview process groups running now (serving, or started and not yet switched to). */
  #processCount(): number {
    let count = 0;
    for (const preview of this.#previews.values()) {
      if (preview.serving?.group !== undefined) count += 1;
      if (preview.starting?.group !== undefined) count += 1;
    }
    return count;
  }

  get refusesForks(): string | undefined {
    const { sandbox } = this.#options;
    if (sandbox.mode !== 'none') return undefined;
    return `Local previews run without a sandbox (${sandbox.reason}), so pull requests from forks are not deployed: install bubblewrap (apt-get install bubblewrap) and restart Glimpse.`;
  }

  /** Where clones, worktrees, logs and the previews' HOME are kept (see `choosePreviewRoot`). */
  get workDir(): string {
    return this.#options.root;
  }

  /** The port the reverse proxy listens on (useful when `proxyPort` was 0). */
  get proxyPort(): number {
    return this.#proxyPort;
  }

  urlOf(namespace: string): string {
    const o = this.#options;
    const port = o.previewUrlPort ?? this.#proxyPort;
    const standard =
      (o.previewUrlScheme === 'http' && port === 80) || (o.previewUrlScheme === 'https' && port === 443);
    return `${o.previewUrlScheme}://${namespace}.${o.baseDomain}${standard ? '' : `:${port}`}`;
  }

  /** A file of the repo at a sha or branch, through the source cache (how config is read without GitHub). */
  readRepoFile(request: Omit<FileRequest, 'timeoutMs' | 'signal'>): Promise<string | undefined> {
    return this.#source.readFile({ ...request, timeoutMs: 120_000, signal: AbortSignal.timeout(120_000) });
  }

  /** Recovers previews of an earlier Glimpse process, then starts the proxy. */
  async start(): Promise<void> {
    await mkdir(path.join(this.#options.root, 'previews'), { recursive: true, mode: 0o700 });
    if (this.#uids !== undefined)
      await guardForPreviewUids(this.#options.dataDir, this.#options.root, this.#base);
    await this.#recover();
    const { proxyHost, proxyPort } = this.#options;
    try {
      this.#proxyPort = await this.#proxy.listen(proxyHost, proxyPort);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE'
          ? 'the port is in use'
          : code === 'EACCES'
            ? 'permission denied'
            : String(error);
      throw new InvalidInput(
        `The preview proxy cannot listen on ${proxyHost}:${proxyPort} (${why}): stop what listens there, or set GLIMPSE_PROXY_PORT to a free port.`,
      );
    }
    this.#options.logger.info(
      { port: this.#proxyPort, baseDomain: this.#options.baseDomain },
      'preview proxy listening',
    );
  }

  /** Local previews do not wait for checks. */
  requiredChecks(): readonly string[] {
    return [];
  }

  deploy(spec: EnvironmentSpec, signal: AbortSignal): Promise<Deployed> {
    const invalid = checkSpec(spec, this.#options.allowFileRepos);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.#locks.run(spec.namespace, async () => {
      signal.throwIfAborted();
      if (this.#closed) throw new RuntimeFailure('Glimpse is shutting down', { transient: true });
      // A destroy asked for after this deploy was queued wins: do not build what is about to go.
      if (this.#destroying.has(spec.namespace)) {
        throw new RuntimeFailure('The environment was destroyed during the deploy', { transient: false });
      }
      const preview = this.#previews.get(spec.namespace) ?? this.#newPreview(spec);
      preview.ref = { namespace: spec.namespace, repoFullName: spec.repoFullName, prNumber: spec.prNumber };
      const serving = preview.serving;
      const alive = serving?.supervisor?.state === 'running' || serving?.supervisor?.state === 'restarting';
      if (serving !== undefined && alive && serving.fingerprint === fingerprintOf(spec)) {
        // Back to the version that kept serving after a failed deploy: the failure is over.
        if (preview.lastAttemptFailed) {
          preview.lastAttemptFailed = false;
          await this.#persist(preview);
        }
        return { url: this.urlOf(spec.namespace) };
      }
      const abort = new AbortController();
      preview.deployAbort = abort;
      try {
        return await deployPreview(this.#context, preview, spec, AbortSignal.any([signal, abort.signal]));
      } finally {
        if (preview.deployAbort === abort) preview.deployAbort = undefined;
      }
    });
  }

  async destroy(ref: EnvironmentRef, signal: AbortSignal): Promise<void> {
    const destroyed = new RuntimeFailure('The environment was destroyed during the deploy', {
      transient: false,
    });
    if (!isNamespace(ref.namespace)) return; // nothing can exist under a name deploy refuses
    this.#previews.get(ref.namespace)?.deployAbort?.abort(destroyed);
    this.#destroying.set(ref.namespace, (this.#destroying.get(ref.namespace) ?? 0) + 1);
    try {
      await this.#destroyLocked(ref, signal);
    } finally {
      const left = (this.#destroying.get(ref.namespace) ?? 1) - 1;
      if (left > 0) this.#destroying.set(ref.namespace, left);
      else this.#destroying.delete(ref.namespace);
    }
  }

  #destroyLocked(ref: EnvironmentRef, signal: AbortSignal): Promise<void> {
    return this.#locks.run(ref.namespace, async () => {
      signal.throwIfAborted();
      const preview = this.#previews.get(ref.namespace);
      this.#proxy.deleteRoute(ref.namespace);
      const dir = preview?.dir ?? this.#previewDir(ref.namespace);
      if (preview !== undefined) {
        for (const deployment of [preview.serving, preview.starting]) {
          if (deployment !== undefined) await discard(this.#context, preview.ref.repoFullName, deployment);
        }
        // The last log (of the serving deployment, else of the last attempt) stays readable until `purge`.
        const last = preview.serving?.log.file ?? preview.lastLogFile;
        if (last !== undefined && (await pathExists(last))) await rename(last, path.join(dir, FINAL_LOG));
        this.#previews.delete(ref.namespace);
        if (preview.uid !== undefined) this.#uids?.give(preview.uid);
      }
      await rm(path.join(dir, 'deployments'), { recursive: true, force: true });
      await rm(path.join(dir, 'logs'), { recursive: true, force: true });
      await rm(sandboxHome(dir), { recursive: true, force: true });
      await removePreviewState(dir);
      await this.#source.forgetPullRequest(ref.repoFullName, ref.prNumber);
      this.#options.logger.info({ environment: ref.namespace }, 'preview destroyed');
    });
  }

  /** Kept in the preview's state file like a failed build, so the page says so after a restart too. */
  showFailed(ref: EnvironmentRef): Promise<void> {
    return this.#locks.run(ref.namespace, async () => {
      if (this.#closed || this.#destroying.has(ref.namespace)) return;
      const preview = this.#previews.get(ref.namespace) ?? this.#newPreview(ref);
      if (preview.serving !== undefined) return;
      preview.status = 'failed';
      preview.lastAttemptFailed = true;
      this.#proxy.setRoute(ref.namespace, { kind: 'unavailable', reason: 'failed' });
      await this.#persist(preview);
    });
  }

  /** Removes what `destroy` kept (the final log). Call when the environment's record is deleted. */
  async purge(ref: EnvironmentRef): Promise<void> {
    await this.#locks.run(ref.namespace, async () => {
      if (this.#previews.has(ref.namespace) || !isNamespace(ref.namespace)) return;
      await rm(this.#previewDir(ref.namespace), { recursive: true, force: true });
    });
  }

  async *logs(ref: EnvironmentRef, options: LogOptions): AsyncIterable<LogLine> {
    const file = await this.#logFileOf(ref.namespace);
    if (file === undefined) return;
    const shown = (line: LogLine): LogLine => (options.timestamps ? line : { ...line, time: undefined });
    const { lines, size } = await readLogTail(file, options.tailLines);
    for (const line of lines) yield shown(line);
    if (!options.follow) return;
    const following = followLogFile({
      file,
      offset: size,
      // A destroyed preview has no live log any more: following ends.
      currentFile: () => (this.#previews.has(ref.namespace) ? this.#liveLogFile(ref.namespace) : null),
      intervalMs: this.#options.timing.followIntervalMs,
      signal: options.signal,
    });
    for await (const line of following) yield shown(line);
  }

  inspect(ref: EnvironmentRef): Promise<Observed> {
    return observePreview(this.#previews.get(ref.namespace), this.#options.timing.cpuSampleMs);
  }

  async listManaged(): Promise<EnvironmentRef[]> {
    return [...this.#previews.values()].map((p) => ({ ...p.ref }));
  }

  /** Previews this runtime runs no deployment of (after a restart, or a failed first deploy), as `inspect` says. */
  async findVanished(namespaces: readonly string[]): Promise<Set<string>> {
    return new Set(
      namespaces.filter((namespace) => {
        const preview = this.#previews.get(namespace);
        return (preview?.serving ?? preview?.starting) === undefined;
      }),
    );
  }

  /** The failure of a preview whose process crashed too often, if that is its state. */
  failureOf(ref: EnvironmentRef): PreviewFailure | undefined {
    return this.#previews.get(ref.namespace)?.failure;
  }

  /**
   * Stops the proxy and every preview process. State files stay, so the next start knows the
   * previews and reports them as not existing: the controller then deploys them again.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#proxy.close();
    const closing = new RuntimeFailure('Glimpse is shutting down', { transient: true });
    await Promise.all(
      [...this.#previews.values()].map((preview) => {
        preview.deployAbort?.abort(closing);
        return this.#locks.run(preview.ref.namespace, async () => {
          for (const deployment of [preview.serving, preview.starting]) {
            if (deployment !== undefined) await discard(this.#context, preview.ref.repoFullName, deployment);
          }
          preview.serving = undefined;
          preview.starting = undefined;
          await this.#persist(preview);
        });
      }),
    );
  }

  async #allocatePort(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (this.#ports.has(port)) continue;
      this.#ports.add(port);
      return port;
    }
  }

  #previewDir(namespace: string): string {
    return path.join(this.#options.root, 'previews', namespace);
  }

  /** A new record, under a uid of its own when previews get one (`uid`: the one its state file recorded). */
  #newPreview(ref: EnvironmentRef, uid?: number): PreviewRecord {
    const preview: PreviewRecord = {
      ref: { namespace: ref.namespace, repoFullName: ref.repoFullName, prNumber: ref.prNumber },
      dir: this.#previewDir(ref.namespace),
      uid: this.#uids?.take(uid),
      serving: undefined,
      starting: undefined,
      stepGroup: undefined,
      status: 'building',
      failure: undefined,
      lastLogFile: undefined,
      lastAttemptFailed: false,
      deployAbort: undefined,
    };
    this.#previews.set(ref.namespace, preview);
    return preview;
  }

  /** Writes the preview's state file; writes are serialised per preview and never throw. */
  #persist(preview: PreviewRecord): Promise<void> {
    return this.#writes.run(preview.ref.namespace, async () => {
      if (this.#previews.get(preview.ref.namespace) !== preview) return;
      try {
        await mkdir(preview.dir, { recursive: true });
        await writePreviewState(preview.dir, toPreviewState(preview));
      } catch (error) {
        this.#options.logger.error(
          { err: error, environment: preview.ref.namespace },
          'cannot write preview state',
        );
      }
    });
  }

  /** The log `logs()` starts from: the serving deployment's, else the latest attempt's, else the final one. */
  async #logFileOf(namespace: string): Promise<string | undefined> {
    const live = this.#liveLogFile(namespace);
    if (live !== undefined) return live;
    if (!isNamespace(namespace)) return undefined;
    const final = path.join(this.#previewDir(namespace), FINAL_LOG);
    return (await pathExists(final)) ? final : undefined;
  }

  #liveLogFile(namespace: string): string | undefined {
    const preview = this.#previews.get(namespace);
    return preview?.serving?.log.file ?? preview?.lastLogFile;
  }

  #onGiveUp(preview: PreviewRecord, deployment: Deployment, report: CrashReport): void {
    if (preview.serving !== deployment) return; // a deployment still starting fails its deploy instead
    const failure = crashFailure(preview, deployment, report, this.#options.timing.crashWindowMs);
    preview.failure = failure;
    preview.status = 'failed';
    preview.lastAttemptFailed = true;
    this.#proxy.setRoute(preview.ref.namespace, { kind: 'unavailable', reason: 'failed' });
    void this.#persist(preview);
    this.#options.logger.warn(
      { environment: preview.ref.namespace, exitCode: report.exitCode },
      'preview failed',
    );
    try {
      this.#options.onPreviewFailed(failure);
    } catch (error) {
      this.#options.logger.error({ err: error }, 'onPreviewFailed threw');
    }
  }

  /** After a restart: stop orphaned process groups, drop worktrees, keep the record and last log. */
  async #recover(): Promise<void> {
    const states = await recoverPreviews({
      previewsDir: path.join(this.#options.root, 'previews'),
      source: this.#source,
      stopGraceMs: this.#options.timing.stopGraceMs,
      logger: this.#options.logger,
    });
    for (const state of states) {
      const preview = this.#newPreview(state.ref, state.uid);
      const failed = state.lastAttemptFailed === true;
      // The controller redeploys what was running (resync) or under way, but not what failed.
      preview.status = failed ? 'failed' : 'restoring';
      preview.lastLogFile = state.lastLogFile;
      preview.lastAttemptFailed = failed;
      this.#proxy.setRoute(state.ref.namespace, {
        kind: 'unavailable',
        reason: failed ? 'failed' : 'building',
      });
      await this.#persist(preview);
    }
  }
}

/** Creates the local runtime, recovers previews left by an earlier process, and starts the proxy. */
export async function createLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { sandbox } = options;
  const { root, base, skipped } = await choosePreviewRoot({
    dataDir: options.dataDir,
    spareDirs: options.spareDirs ?? [],
    othersMustPass: sandbox.mode !== 'none' && sandbox.uids !== undefined,
  });
  for (const { dir, found } of skipped) {
    options.logger.info(
      { passedOver: dir, found: found.slice(0, 3), root },
      'preview worktrees kept outside the data dir: previews would pick up files above it, or could not reach it',
    );
  }
  const runtime = new LocalRuntime(options, root, base);
  await runtime.start();
  return runtime;
}
