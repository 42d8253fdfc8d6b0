import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Deployed, EnvironmentSpec } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import { childEnvironment } from './child-env.ts';
import { type HealthProbe, waitHealthy } from './health-check.ts';
import type { PreviewFailure, ResolvedOptions } from './local-runtime-options.ts';
import { LogWriter } from './log-writer.ts';
import { limitHit, type ProcessLimits, resolvePreviewLimits } from './preview-limits.ts';
import { giveToUid } from './preview-ownership.ts';
import type { Deployment, PreviewRecord } from './preview-record.ts';
import { readProcStat } from './process-group.ts';
import type { ReverseProxy } from './reverse-proxy.ts';
import { runStep } from './run-step.ts';
import type { SourceCache } from './source-cache.ts';
import { type CrashReport, Supervisor } from './supervisor.ts';

/** Deployment logs kept per preview while it lives (the serving one and recent attempts). */
const KEEP_LOGS = 3;

export interface DeployContext {
  options: ResolvedOptions;
  source: SourceCache;
  proxy: ReverseProxy;
  /**
   * HOME of every unconfined preview, shared so package caches are reused. A sandboxed preview gets its
   * own (`<preview dir>/home`): a shared one would let one preview plant files another one runs.
   */
  home: string;
  persist(preview: PreviewRecord): Promise<void>;
  url(namespace: string): string;
  /** A free port no other deployment of this runtime holds; given back with `releasePort`. */
  allocatePort(): Promise<number>;
  releasePort(port: number): void;
  onGiveUp(preview: PreviewRecord, deployment: Deployment, report: CrashReport): void;
}

/** HOME of a sandboxed preview, in its own folder; `destroy` removes it with the worktrees. */
export function sandboxHome(previewDir: string): string {
  return path.join(previewDir, 'home');
}

export function fingerprintOf(spec: EnvironmentSpec): string {
  return createHash('sha256').update(spec.commitSha).update(JSON.stringify(spec.config)).digest('hex');
}

/**
 * Builds and starts `spec` next to whatever `preview` serves now, switches the proxy once the new
 * process is healthy, then retires the old one. On failure the old deployment keeps serving.
 */
export async function deployPreview(
  ctx: DeployContext,
  preview: PreviewRecord,
  spec: EnvironmentSpec,
  signal: AbortSignal,
): Promise<Deployed> {
  const local = spec.config.local;
  const start = local?.start ?? '';
  const { timing } = ctx.options;
  const deployment = await createDeployment(ctx, preview, spec).catch((error: unknown) => {
    throw new RuntimeFailure('The local runtime cannot create the deployment directory', {
      transient: true,
      cause: error,
    });
  });
  const log = deployment.log;
  preview.starting = deployment;
  preview.lastLogFile = log.file;
  preview.lastAttemptFailed = false;
  // Nothing answers for this preview while it builds (first deploy, or one that crashed out).
  const nothingServing = preview.serving === undefined || preview.status === 'failed';
  if (nothingServing) {
    preview.status = 'building';
    ctx.proxy.setRoute(spec.namespace, { kind: 'unavailable', reason: 'building' });
  }
  await ctx.persist(preview);
  const logger = ctx.options.logger.child({ environment: spec.namespace, deployment: spec.deploymentId });
  try {
    logger.info({ commit: spec.commitSha, replacing: preview.serving?.commitSha }, 'preview building');
    spec.onPhase?.('building');
    log.line('glimpse', `fetching ${spec.repoFullName} at ${spec.commitSha}`);
    await ctx.source.checkout({
      repoFullName: spec.repoFullName,
      cloneUrl: spec.cloneUrl,
      token: spec.fetchToken,
      commitSha: spec.commitSha,
      prNumber: spec.prNumber,
      worktree: deployment.worktree,
      timeoutMs: ctx.options.buildTimeoutMs,
      signal,
    });
    const { sandbox } = ctx.options;
    const { uid } = preview;
    const home = sandbox.mode === 'none' ? ctx.home : sandboxHome(preview.dir);
    await mkdir(home, { recursive: true });
    if (uid !== undefined) {
      await giveToUid(deployment.worktree, uid);
      // A HOME kept from an earlier deploy stays its own; one of another uid (a lost state file) is taken over.
      if ((await stat(home)).uid !== uid) await giveToUid(home, uid);
    }
    deployment.limits = processLimits(ctx, spec, uid);
    const confinement = {
      sandbox,
      writable: [deployment.worktree, home],
      uid,
      limits: deployment.limits,
      chrt: ctx.options.limits?.chrt,
    };
    const base = { path: ctx.options.childPath, home, config: spec.config };
    const facts = { commitSha: spec.commitSha, prNumber: spec.prNumber };
    const deadline = Date.now() + ctx.options.buildTimeoutMs;
    for (const [name, command] of [
      ['install', local?.install],
      ['build', local?.build],
    ] as const) {
      if (command === undefined) continue;
      const result = await runStep({
        name,
        command,
        cwd: deployment.worktree,
        env: childEnvironment({ ...base, ...facts }),
        confinement,
        log,
        deadline,
        signal,
        stopGraceMs: timing.stopGraceMs,
        onGroup: (pid) => {
          preview.stepGroup =
            pid === undefined ? undefined : { pid, startTime: readProcStat(pid)?.startTime };
          void ctx.persist(preview);
        },
      });
      if (result.aborted) throw signal.reason;
      if (result.timedOut) {
        const seconds = Math.round(ctx.options.buildTimeoutMs / 1000);
        throw failure(`The ${name} command did not finish within ${seconds} s (${command})`, log);
      }
      if (result.exitCode !== 0) {
        throw failure(
          `The ${name} command failed with ${describeExit(result.exitCode, result.signal)} (${command})`,
          log,
          deployment.limits,
        );
      }
    }
    signal.throwIfAborted();
    spec.onPhase?.('deploying');
    logger.info({ commit: spec.commitSha }, 'preview deploying');
    const port = await ctx.allocatePort();
    deployment.port = port;
    const supervisor = new Supervisor({
      command: start,
      cwd: deployment.worktree,
      env: childEnvironment({ ...base, ...facts, port }),
      confinement,
      log,
      timing,
      logger,
      onSpawn: (pid, startTime) => {
        if (supervisor.restarts > 0) ctx.options.metrics?.localPreviewRestarted();
        deployment.group = { pid, startTime };
        void ctx.persist(preview);
      },
      onGiveUp: (report) => {
        deployment.group = undefined;
        ctx.onGiveUp(preview, deployment, report);
      },
    });
    deployment.supervisor = supervisor;
    supervisor.start();
    const healthPath = local?.health ?? '/';
    const health = await waitHealthy({
      port,
      healthPath,
      timeoutMs: ctx.options.healthTimeoutMs,
      intervalMs: timing.healthIntervalMs,
      isDead: () => supervisor.state === 'failed',
      signal,
    });
    if (health.outcome === 'aborted') throw signal.reason;
    if (health.outcome === 'dead') {
      const crash = supervisor.lastCrash;
      const how = describeExit(crash?.exitCode ?? null, crash?.signal ?? null);
      throw failure(
        `The app exited with ${how} ${crash?.crashes ?? 0} times before answering on ${healthPath} (${start})`,
        log,
        deployment.limits,
      );
    }
    if (health.outcome === 'timeout') {
      const seconds = Math.round(ctx.options.healthTimeoutMs / 1000);
      throw failure(
        `The app did not answer GET ${healthPath} with 2xx or 3xx within ${seconds} s: ${health.last.seen}. ${healthAdvice(health.last, healthPath, local?.port_env ?? 'PORT')} (${start})`,
        log,
      );
    }
    const previous = preview.serving;
    preview.serving = deployment;
    preview.starting = undefined;
    preview.failure = undefined;
    preview.status = 'running';
    preview.lastAttemptFailed = false;
    ctx.proxy.setRoute(spec.namespace, { kind: 'serving', port });
    await ctx.persist(preview);
    log.line('glimpse', `serving on port ${port}`);
    logger.info({ commit: spec.commitSha, port }, 'preview running');
    if (previous !== undefined) await retire(ctx, preview, previous);
    return { url: ctx.url(spec.namespace) };
  } catch (error) {
    preview.stepGroup = undefined;
    await discard(ctx, spec.repoFullName, deployment);
    if (preview.starting === deployment) preview.starting = undefined;
    // A deploy cut short (superseded, destroyed, shutting down) did not fail: it is done again.
    if (!signal.aborted) preview.lastAttemptFailed = true;
    if (nothingServing) {
      preview.status = 'failed';
      ctx.proxy.setRoute(spec.namespace, { kind: 'unavailable', reason: 'failed' });
    }
    await ctx.persist(preview);
    await pruneLogs(preview);
    if (signal.aborted) throw signal.reason;
    const failure =
      error instanceof RuntimeFailure
        ? error
        : new RuntimeFailure('The local runtime could not prepare the preview', {
            transient: true,
            cause: error,
          });
    const result = nothingServing
      ? failure
      : new RuntimeFailure(failure.message, {
          transient: failure.transient,
          logExcerpt: failure.logExcerpt,
          cause: failure.cause,
          previousServing: true,
        });
    logger.warn(
      { commit: spec.commitSha, transient: result.transient, err: result.message },
      'preview deploy failed',
    );
    throw result;
  }
}

async function createDeployment(
  ctx: DeployContext,
  preview: PreviewRecord,
  spec: EnvironmentSpec,
): Promise<Deployment> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
  const key = `${stamp}-${spec.commitSha.slice(0, 12)}-${randomBytes(3).toString('hex')}`;
  const dir = path.join(preview.dir, 'deployments', key);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await mkdir(path.join(preview.dir, 'logs'), { recursive: true });
  // Previews under uids of their own pass through to their worktree; logs are Glimpse's alone.
  await chmod(preview.dir, 0o711);
  await chmod(path.join(preview.dir, 'deployments'), 0o711);
  await chmod(dir, 0o711);
  await chmod(path.join(preview.dir, 'logs'), 0o700);
  const log = new LogWriter(path.join(preview.dir, 'logs', `${key}.log`), ctx.options.maxLogBytes);
  log.line('glimpse', `deployment ${spec.deploymentId} of ${spec.repoFullName}#${spec.prNumber}`);
  return {
    deploymentId: spec.deploymentId,
    commitSha: spec.commitSha,
    fingerprint: fingerprintOf(spec),
    dir,
    worktree: path.join(dir, 'src'),
    log,
    port: undefined,
    supervisor: undefined,
    group: undefined,
    limits: undefined,
  };
}

/**
 * The rlimits of a deployment's commands: its `.glimpse.yml` resources within the server's caps (asking
 * for more fails the deployment). The process count only under a uid of its own: RLIMIT_NPROC counts
 * every process of a uid, Glimpse's included, and root is exempt from it.
 */
function processLimits(
  ctx: DeployContext,
  spec: EnvironmentSpec,
  uid: number | undefined,
): ProcessLimits | undefined {
  const { limits } = ctx.options;
  if (limits === undefined) return undefined;
  const resolved = resolvePreviewLimits(spec.config, limits.caps);
  if (limits.prlimit === undefined) return undefined;
  return {
    prlimit: limits.prlimit,
    memory: resolved.memory,
    memoryBytes: resolved.memoryBytes,
    processes: uid === undefined ? undefined : resolved.processes,
  };
}

/** Stops a replaced deployment once its in-flight requests finished, and removes its worktree. */
async function retire(ctx: DeployContext, preview: PreviewRecord, old: Deployment): Promise<void> {
  if (old.port !== undefined) await ctx.proxy.drain(old.port, ctx.options.timing.drainMs);
  await discard(ctx, preview.ref.repoFullName, old);
  await ctx.persist(preview);
  await pruneLogs(preview);
}

/** Stops a deployment's process and removes its worktree; its log file stays. */
export async function discard(
  ctx: DeployContext,
  repoFullName: string,
  deployment: Deployment,
): Promise<void> {
  await deployment.supervisor?.stop();
  deployment.group = undefined;
  if (deployment.port !== undefined) ctx.releasePort(deployment.port);
  deployment.log.close();
  await ctx.source.removeWorktree(repoFullName, deployment.worktree);
  await rm(deployment.dir, { recursive: true, force: true });
}

async function pruneLogs(preview: PreviewRecord): Promise<void> {
  const dir = path.join(preview.dir, 'logs');
  const keep = new Set([preview.serving?.log.file, preview.starting?.log.file, preview.lastLogFile]);
  const files = await readdir(dir).catch(() => [] as string[]);
  const dated = await Promise.all(
    files
      .filter((f) => f.endsWith('.log'))
      .map(async (f) => ({ file: path.join(dir, f), mtime: (await stat(path.join(dir, f))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of dated.slice(KEEP_LOGS)) {
    if (keep.has(file)) continue;
    await rm(file, { force: true });
    await rm(`${file}.1`, { force: true });
  }
}

/** A permanent failure; when the output shows that a limit was hit, the message says which. */
function failure(message: string, log: LogWriter, limits?: ProcessLimits): RuntimeFailure {
  const hit = limitHit(log.excerpt(), limits);
  if (hit !== undefined) message = `${message}: ${hit}`;
  log.line('glimpse', message);
  return new RuntimeFailure(message, { transient: false, logExcerpt: log.excerpt(20) });
}

export function describeExit(exitCode: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${exitCode ?? 'unknown'}`;
}

/** The failure reported when the serving process crashed too often and was given up. */
export function crashFailure(
  preview: PreviewRecord,
  deployment: Deployment,
  report: CrashReport,
  crashWindowMs: number,
): PreviewFailure {
  const how = describeExit(report.exitCode, report.signal);
  const hit = limitHit(deployment.log.excerpt(), deployment.limits);
  return {
    ref: { ...preview.ref },
    deploymentId: deployment.deploymentId,
    commitSha: deployment.commitSha,
    message: `The app crashed ${report.crashes} times within ${Math.round(crashWindowMs / 1000)} s, last with ${how}${hit === undefined ? '' : `: ${hit}`}`,
    exitCode: report.exitCode,
    signal: report.signal,
    logExcerpt: deployment.log.excerpt(20),
    at: new Date(),
  };
}

/** The next step after a health timeout, from what the last probe saw. */
function healthAdvice(last: HealthProbe, healthPath: string, portEnv: string): string {
  if (last.kind === 'answered')
    return `Make ${healthPath} answer 2xx, or set local.health in .glimpse.yml to a path that does.`;
  if (last.kind === 'refused') return `The app must listen on the port in $${portEnv}.`;
  return `The app must answer HTTP on the port in $${portEnv} within a few seconds.`;
}
