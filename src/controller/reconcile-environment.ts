import { decideDeployGate, type GateName } from '../domain/deploy-gate.ts';
import { type EnvironmentEvent, normal, warning } from '../domain/environment-event.ts';
import { Unavailable } from '../domain/errors.ts';
import { failureWithOutput } from '../domain/failure-text.ts';
import { FileTooLarge } from '../domain/file-too-large.ts';
import {
  configTooLargeMessage,
  type GlimpseConfig,
  type GlimpseConfigResult,
  parseGlimpseConfig,
  ttlMilliseconds,
} from '../domain/glimpse-config.ts';
import { IllegalPhaseTransition } from '../domain/phase-machine.ts';
import type { Redactor } from '../domain/redactor.ts';
import { REQUIRED_CHECK_FAILED } from '../domain/required-checks.ts';
import type { GithubClient } from '../github/github-client.ts';
import type { Logger } from '../logger.ts';
import type { FailureReason, GlimpseMetrics } from '../metrics/glimpse-metrics.ts';
import { type Runtime, RuntimeFailure } from '../runtimes/runtime.ts';
import { AttemptFeedback } from './attempt-feedback.ts';
import { carryOutCommentCommand } from './comment-commands.ts';
import type { ConfigSource } from './config-source.ts';
import type { EnvironmentUpdates } from './environment-updates.ts';
import type { GithubFeedback } from './github-feedback.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import { LeaseLost } from './lease-lost.ts';
import { configRef, environmentRef, repoRef, type WorkItem } from './work-item.ts';

export interface ReconcileDeps {
  runtime: Runtime;
  updates: EnvironmentUpdates;
  feedback: GithubFeedback;
  configSource: ConfigSource;
  github: GithubClient | undefined;
  /** Token for fetching a repo's source over HTTPS (local runtime); undefined without a GitHub App. */
  fetchToken: (installationId: number) => Promise<string | undefined>;
  redactor: Redactor;
  logger: Logger;
  /** The clock: retries, expiry and deploy times are read from it. */
  now: () => Date;
  /** Waits before the 2nd, 3rd, … attempt after a transient failure. */
  retryDelaysMs: readonly number[];
  maxAttempts: number;
  /** How long a deploy may run before the PR is told it started (see AttemptFeedback); 0: at once. */
  announceDelayMs: number;
  /** Counts attempts, failures, retries and how long previews took to run or to go; unset: nothing counted. */
  metrics?: GlimpseMetrics | undefined;
}

/** What one pass did: done with this generation, or waiting (retry scheduled, lease lost, superseded). */
type Outcome = 'observed' | 'retry-later' | 'superseded';

class Superseded extends Error {}

/**
 * Converges one claimed environment to its desired state, generation by generation, until it is current.
 * Every step is idempotent, so a pass cut short (crash, lost lease, newer push) is simply done again. Once
 * the lease is lost, nothing more is written: the newer claim carries on.
 */
export async function reconcileEnvironment(
  deps: ReconcileDeps,
  lease: LeaseKeeper,
  load: () => Promise<WorkItem | undefined>,
): Promise<void> {
  try {
    await reconcileUntilCurrent(deps, lease, load);
  } catch (error) {
    if (!(error instanceof LeaseLost)) throw error;
    deps.logger.info({ err: error.message }, 'attempt stopped: its lease is held by a newer claim');
  }
}

async function reconcileUntilCurrent(
  deps: ReconcileDeps,
  lease: LeaseKeeper,
  load: () => Promise<WorkItem | undefined>,
): Promise<void> {
  for (;;) {
    const item = await load();
    if (item === undefined || lease.lost) return;
    const { env } = item;
    // A push or reopening not yet handled brings an expired preview back rather than being swallowed by it.
    const expired =
      env.desiredState === 'active' &&
      isExpired(env, deps.now()) &&
      env.generation === env.observedGeneration;
    if (env.generation === env.observedGeneration && !expired) return;
    if (env.nextAttemptAt !== null && env.nextAttemptAt > deps.now()) return;
    const signal = lease.attempt(env.generation);
    if (!(await carryOutCommentCommand(deps, item))) {
      await deps.updates.observe(item, env.generation, 'keep');
      continue;
    }
    const removing = env.desiredState === 'closed' || expired;
    deps.metrics?.reconcileAttempted(removing ? 'delete' : 'deploy');
    const outcome = removing
      ? await teardown(deps, lease, item, signal, expired ? 'expired' : 'closed')
      : await converge(deps, lease, item, signal);
    if (outcome === 'retry-later') return;
  }
}

async function converge(
  deps: ReconcileDeps,
  lease: LeaseKeeper,
  item: WorkItem,
  signal: AbortSignal,
): Promise<Outcome> {
  const { env } = item;
  const generation = env.generation;
  const step = async () => {
    if (!(await lease.check()) || signal.aborted) throw new Superseded();
  };
  let deploymentId: string | undefined;
  let attempt: AttemptFeedback | undefined;
  try {
    const config = await readConfig(deps, item);
    if (!config.ok)
      return await failBeforeDeploying(deps, item, generation, config.message, 'ConfigInvalid', 'config');
    // The ttl passed before this push or reopening: its clock starts again, also while it waits for checks.
    if (isExpired(env, deps.now()))
      await deps.updates.setPhase(item, 'keep', { expiresAt: expiryOf(config.config, deps.now()) });
    await step();
    const gate = await decideGate(deps, item, config.config);
    if (gate !== undefined) {
      const toldBefore = env.statusDetail === gate.reason;
      await deps.updates.observe(item, generation, 'wait', { statusDetail: gate.reason }, [
        normal('GateBlocked', gate.reason, { gate: gate.gate }),
      ]);
      // A fork's author cannot see Glimpse: the PR says what its preview waits for, once per reason.
      if (env.isFork && !toldBefore)
        await deps.feedback.comment(item, { status: 'waiting', waitingFor: gate.reason });
      return 'observed';
    }
    const checks = await waitingForChecks(deps, item, config.config);
    if (checks !== undefined) {
      if (checks.failed)
        return await failBeforeDeploying(deps, item, generation, checks.detail, 'Failed', 'checks', {
          checks: checks.names,
        });
      await deps.updates.observe(item, generation, 'wait-for-checks', { statusDetail: checks.detail }, [
        normal('WaitingForChecks', checks.detail, { checks: checks.names }),
      ]);
      return 'observed';
    }
    await step();
    const started = await deps.updates.startDeployment(item, generation);
    deploymentId = started.id;
    const startedAt = deps.now().getTime();
    await deps.updates.setPhase(item, 'start-deploy', { statusDetail: null, error: null }, [
      normal(
        'Building',
        `Deploying ${env.headSha.slice(0, 7)} (attempt ${started.attempt}, requested by ${env.requestedBy ?? env.requestedTrigger}).`,
        { sha: env.headSha, attempt: started.attempt, trigger: env.requestedTrigger },
      ),
    ]);
    // A brand-new environment (first webhook, first deployment row) cannot have a comment on the PR yet.
    attempt = new AttemptFeedback(deps.feedback, item, {
      id: deploymentId,
      mayExist: !(started.first && generation === 1),
      earlierGithubDeploymentId: started.githubDeploymentId,
    });
    await attempt.begin(deps.announceDelayMs);
    let deployed: { url: string };
    // Phase reports arrive as callbacks; chained and awaited so none lands after the outcome is written.
    let phaseWrites = Promise.resolve();
    const reportPhase = (phase: 'building' | 'deploying') => {
      const events =
        phase === 'deploying' && env.phase !== 'deploying'
          ? [normal('RolloutProgress', 'Built; rolling out and waiting for the health check.')]
          : [];
      phaseWrites = phaseWrites
        .then(() => deps.updates.setPhase(item, phase === 'building' ? 'build' : 'roll-out', {}, events))
        .catch((err: unknown) => {
          if (err instanceof IllegalPhaseTransition) throw err;
          deps.logger.warn({ environment: env.namespace, err }, 'recording a phase change failed');
        });
      // A bug (an illegal phase change) surfaces where the writes are awaited, below; until then it is handled.
      phaseWrites.catch(() => {});
    };
    try {
      const fetchToken = await deps.fetchToken(item.repo.installationId);
      deployed = await deps.runtime.deploy(
        {
          ...environmentRef(item),
          environmentId: env.id,
          deploymentId,
          commitSha: env.headSha,
          branch: env.branch ?? '',
          cloneUrl: item.repo.cloneUrl ?? '',
          fetchToken,
          config: config.config,
          onPhase: reportPhase,
          onApplied: (counts) => {
            const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
            const kinds = Object.entries(counts)
              .map(([kind, n]) => `${n} ${kind}`)
              .join(', ');
            phaseWrites = phaseWrites
              .then(() =>
                deps.updates.recordEvents(item, [
                  normal('Applied', `Applied ${total} objects: ${kinds}.`, { objects: total, kinds: counts }),
                ]),
              )
              .catch((err: unknown) =>
                deps.logger.warn({ environment: env.namespace, err }, 'recording an event failed'),
              );
          },
        },
        signal,
      );
    } finally {
      await phaseWrites;
      await attempt.settle();
    }
    await step();
    // The deployment row first: whoever sees the environment running finds its deployment finished.
    await deps.updates.finishDeployment(item, deploymentId, 'succeeded');
    const seconds = Math.round((deps.now().getTime() - startedAt) / 100) / 10;
    await deps.updates.setPhase(
      item,
      'succeed',
      {
        url: deployed.url,
        deployedSha: env.headSha,
        error: null,
        statusDetail: null,
        lastDeployedAt: deps.now(),
        expiresAt: expiryOf(config.config, deps.now()),
      },
      [
        normal('HealthCheckPassed', `Ready ${seconds} s after the deploy started.`, { seconds }),
        normal('Running', `Running ${env.headSha.slice(0, 7)} at ${deployed.url}.`, {
          sha: env.headSha,
          url: deployed.url,
        }),
      ],
    );
    deps.metrics?.previewRunning(deps.runtime.name, secondsSince(env.updatedAt, deps.now()));
    await attempt.ensureDeployment();
    await deps.feedback.deploymentSucceeded(item, deployed.url);
    await deps.feedback.comment(
      item,
      { status: 'running', previewUrl: deployed.url },
      attempt.commentOptions,
    );
    // Observed only once the PR was told: an attempt cut short before then is done again, feedback too.
    await deps.updates.observe(item, generation, 'keep');
    return 'observed';
  } catch (error) {
    // A lost lease stops the attempt; an illegal phase change is a bug, never a failure of the preview.
    if (error instanceof LeaseLost || error instanceof IllegalPhaseTransition) throw error;
    if (error instanceof Superseded || signal.aborted) {
      if (deploymentId !== undefined) {
        await deps.updates.finishDeployment(
          item,
          deploymentId,
          'canceled',
          { error: 'superseded by a newer commit' },
          [
            normal(
              'Superseded',
              `The deploy of ${env.headSha.slice(0, 7)} was cancelled: something newer arrived.`,
            ),
          ],
        );
      }
      return 'superseded';
    }
    return handleFailure(deps, item, generation, error, deploymentId, attempt);
  }
}

async function teardown(
  deps: ReconcileDeps,
  lease: LeaseKeeper,
  item: WorkItem,
  signal: AbortSignal,
  why: 'closed' | 'expired',
): Promise<Outcome> {
  const generation = item.env.generation;
  const wasGone = item.env.phase === 'deleted';
  try {
    if (!wasGone)
      await deps.updates.setPhase(item, 'start-deletion', { statusDetail: null }, [
        ...(why === 'expired'
          ? [
              normal(
                'Expired',
                'Its time to live ran out: push a commit or reopen the pull request to bring it back.',
              ),
            ]
          : []),
        normal('Deleting', 'Deleting everything the preview runs.'),
      ]);
    // The runtime is asked only while the lease is this attempt's; losing it aborts `signal`.
    if (!(await lease.check())) return 'superseded';
    await deps.runtime.destroy(environmentRef(item), signal);
    await deps.updates.setPhase(
      item,
      'finish-deletion',
      {
        url: null,
        deployedSha: null,
        expiresAt: null,
        error: null,
        statusDetail:
          why === 'expired' ? 'Expired: push a commit or reopen the pull request to bring it back.' : null,
      },
      wasGone ? [] : [normal('Deleted', 'The preview is gone.')],
    );
    // Closed (the delivery's write is the environment's last change before this attempt) to gone.
    if (why === 'closed' && !wasGone)
      deps.metrics?.previewGone(deps.runtime.name, secondsSince(item.env.updatedAt, deps.now()));
    await deps.feedback.deploymentInactive(item, await deps.updates.githubDeploymentsMaybeActive(item));
    await deps.feedback.comment(item, { status: why === 'expired' ? 'expired' : 'deleted' });
    await deps.updates.observe(item, generation, 'keep');
    return 'observed';
  } catch (error) {
    // A lost lease stops the attempt; an illegal phase change is a bug, never a failure of the preview.
    if (error instanceof LeaseLost || error instanceof IllegalPhaseTransition) throw error;
    if (signal.aborted) return 'superseded';
    const outcome = await handleFailure(deps, item, generation, error, undefined);
    if (outcome === 'observed') await deps.updates.auditFailedDeletion(item, item.env.error ?? '');
    return outcome;
  }
}

/** A running preview failed by itself (e.g. crashed too often): the environment and the PR say so. */
export async function reportPreviewFailure(
  deps: ReconcileDeps,
  item: WorkItem,
  reason: string,
  logExcerpt: readonly string[],
): Promise<void> {
  if (item.env.phase !== 'running') return;
  deps.metrics?.reconcileFailed('crashed');
  await fail(deps, item, item.env.observedGeneration, reason, logExcerpt, undefined);
}

async function handleFailure(
  deps: ReconcileDeps,
  item: WorkItem,
  generation: number,
  error: unknown,
  deploymentId: string | undefined,
  attempt?: AttemptFeedback,
): Promise<Outcome> {
  const transient = isTransient(error);
  const message = deps.redactor.redact(error instanceof Error ? error.message : String(error));
  const logExcerpt = error instanceof RuntimeFailure ? error.logExcerpt : [];
  const attempts = item.env.attempts + 1;
  deps.metrics?.reconcileFailed(failureReason(error));
  if (transient && attempts < deps.maxAttempts) {
    deps.metrics?.reconcileRetried();
    const delay = deps.retryDelaysMs[Math.min(attempts - 1, deps.retryDelaysMs.length - 1)] ?? 1000;
    deps.logger.warn(
      { environment: item.env.namespace, attempts, delayMs: delay, err: message },
      'environment attempt failed; retrying',
    );
    if (deploymentId !== undefined)
      await deps.updates.finishDeployment(item, deploymentId, 'failed', { error: message });
    await deps.updates.scheduleRetry(item, attempts, delay, message);
    return 'retry-later';
  }
  const reason = transient ? `${message} (gave up after ${attempts} attempts)` : message;
  await attempt?.ensureDeployment();
  const { deployedSha, url } = item.env;
  const stillServing =
    error instanceof RuntimeFailure && error.previousServing && deployedSha !== null && url !== null
      ? { sha: deployedSha, url }
      : undefined;
  return fail(deps, item, generation, reason, logExcerpt, deploymentId, {
    ...attempt?.commentOptions,
    stillServing,
  });
}

/**
 * A failure decided before anything was deployed (invalid config, a failed required check). It gets a deployment
 * row all the same, so the history of the environment says why this commit did not deploy.
 */
async function failBeforeDeploying(
  deps: ReconcileDeps,
  item: WorkItem,
  generation: number,
  reason: string,
  why: 'ConfigInvalid' | 'Failed',
  reasonClass: FailureReason,
  details: Record<string, unknown> = {},
): Promise<Outcome> {
  deps.metrics?.reconcileFailed(reasonClass);
  const started = await deps.updates.startDeployment(item, generation);
  await deps.runtime.showFailed?.(environmentRef(item));
  return fail(deps, item, generation, reason, [], started.id, {}, { why, details });
}

async function fail(
  deps: ReconcileDeps,
  item: WorkItem,
  generation: number,
  reason: string,
  logExcerpt: readonly string[],
  deploymentId: string | undefined,
  options: { mayExist?: boolean; stillServing?: { sha: string; url: string } | undefined } = {},
  event: { why: 'ConfigInvalid' | 'Failed'; details: Record<string, unknown> } = {
    why: 'Failed',
    details: {},
  },
): Promise<Outcome> {
  const message = deps.redactor.redact(reason);
  const log = logExcerpt.map((line) => deps.redactor.redact(line));
  const { stillServing, ...commentOptions } = options;
  const still =
    stillServing === undefined
      ? null
      : `The previous version (${stillServing.sha.slice(0, 7)}) is still serving.`;
  const failed: EnvironmentEvent = warning(event.why, still === null ? message : `${message} ${still}`, {
    ...event.details,
    reason: message,
  });
  await deps.updates.setPhase(item, 'fail', { error: failureWithOutput(message, log), statusDetail: still }, [
    failed,
  ]);
  if (deploymentId !== undefined)
    await deps.updates.finishDeployment(item, deploymentId, 'failed', { error: message });
  await deps.feedback.deploymentFailed(item, message);
  await deps.feedback.comment(
    item,
    { status: 'failed', failure: { reason: message, logLines: log, stillServing } },
    commentOptions,
  );
  await deps.updates.observe(item, generation, 'keep');
  return 'observed';
}

function isExpired(env: WorkItem['env'], now: Date): boolean {
  return env.expiresAt !== null && env.expiresAt <= now;
}

/** When a preview deployed (or asked for) now expires: `ttl` from now, or never. */
function expiryOf(config: GlimpseConfig, now: Date): Date | null {
  return config.ttl === undefined ? null : new Date(now.getTime() + ttlMilliseconds(config.ttl));
}

/** The class of a failure, for the failures metric. */
function failureReason(error: unknown): FailureReason {
  if (error instanceof RuntimeFailure) return 'runtime';
  if (error instanceof Unavailable) return 'unavailable';
  return 'internal';
}

function secondsSince(time: Date, now: Date): number {
  return Math.max(0, (now.getTime() - time.getTime()) / 1000);
}

function isTransient(error: unknown): boolean {
  if (error instanceof RuntimeFailure) return error.transient;
  if (error instanceof Unavailable) return true;
  return false;
}

/** Reads and parses the repo's `.glimpse.yml`, and records what it found on the repo. */
async function readConfig(deps: ReconcileDeps, item: WorkItem): Promise<GlimpseConfigResult> {
  const ref = configRef(item.env);
  let text: string | undefined;
  let result: GlimpseConfigResult;
  try {
    text = await deps.configSource.read(item, ref);
    result = parseGlimpseConfig(text ?? '');
  } catch (error) {
    if (!(error instanceof FileTooLarge)) throw error;
    result = { ok: false, message: configTooLargeMessage(error.bytes) };
  }
  await deps.updates.recordConfigCheck(item, {
    ref,
    outcome: !result.ok ? 'invalid' : text === undefined ? 'missing' : 'valid',
    error: result.ok ? null : result.message,
  });
  return result;
}

/** Undefined when the PR may deploy; otherwise which gate holds it and what it waits for. */
async function decideGate(
  deps: ReconcileDeps,
  item: WorkItem,
  config: GlimpseConfig,
): Promise<{ gate: GateName; reason: string } | undefined> {
  const { env } = item;
  const decision = decideDeployGate(config, {
    isFork: env.isFork,
    isDraft: env.isDraft,
    headSha: env.headSha,
    labels: env.labels,
    labelSenders: env.labelSenders,
    labelShas: env.labelShas,
    commentApproval: env.commentApproval,
    approvedBy: env.approvedBy,
    approvedSha: env.approvedSha,
    forksRefused: deps.runtime.refusesForks,
  });
  if (decision.kind === 'deploy') return undefined;
  if (decision.kind === 'wait') return { gate: decision.gate, reason: decision.reason };
  const gate = 'approver-access';
  if (deps.github === undefined) {
    return {
      gate,
      reason: `Cannot check that ${decision.login} may approve a fork's preview without a GitHub App.`,
    };
  }
  if (await deps.github.hasWriteAccess(repoRef(item.repo), decision.login)) return undefined;
  if (decision.via === 'comment') {
    return {
      gate,
      reason: `Ignored \`/glimpse approve\` from ${decision.login}, who has no write access to this repository; a maintainer must approve this commit.`,
    };
  }
  return {
    gate,
    reason: `The \`${config.label}\` label was added by ${decision.login}, who has no write access to this repository; a maintainer must add it.`,
  };
}

async function waitingForChecks(
  deps: ReconcileDeps,
  item: WorkItem,
  config: GlimpseConfig,
): Promise<{ failed: boolean; detail: string; names: string[] } | undefined> {
  const names = [...deps.runtime.requiredChecks(config)];
  if (names.length === 0 || deps.github === undefined) return undefined;
  const state = await deps.github.checkState(repoRef(item.repo), item.env.headSha);
  const failed = names.filter((n) => state.checks[n] === 'failure');
  if (failed.length > 0)
    return { failed: true, detail: `${REQUIRED_CHECK_FAILED} ${failed.join(', ')}`, names: failed };
  const waiting = names.filter((n) => state.checks[n] !== 'success');
  if (waiting.length === 0) return undefined;
  return { failed: false, detail: `Waiting for checks: ${waiting.join(', ')}`, names: waiting };
}
