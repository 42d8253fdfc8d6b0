import { desc, eq } from '../../db/drizzle-orm.ts';
import { deployments, environments } from '../../db/schema.ts';
import { Unavailable } from '../../domain/errors.ts';
import { failureReason } from '../../domain/failure-text.ts';
import type { LogLine } from '../../domain/log-line.ts';
import type { Redactor } from '../../domain/redactor.ts';
import type { EnvironmentRef, Observed, Runtime } from '../../runtimes/runtime.ts';
import type { Principal } from '../auth/principal.ts';
import { environmentPermissions } from './environment-permissions.ts';
import type { EnvironmentDetail } from './environment-schemas.ts';
import { deploymentView, environmentView } from './environment-view.ts';
import { assertAllowed, type LocatedEnvironment, locateEnvironment } from './locate-environment.ts';
import type { ServiceDeps } from './service-deps.ts';

const HISTORY_LIMIT = 50;

/** One environment with its deployment history and, when the runtime can tell, its resource use. */
export async function getEnvironment(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
): Promise<EnvironmentDetail> {
  const located = await locateEnvironment(deps.db, principal, ref);
  assertAllowed(principal, located, ref, 'view');
  const history = await deps.db
    .select()
    .from(deployments)
    .where(eq(deployments.environmentId, located.env.id))
    .orderBy(desc(deployments.createdAt), desc(deployments.attempt))
    .limit(HISTORY_LIMIT);
  const observed = await observe(deps.runtime, located);
  return {
    ...environmentView(located.env, located.repoFullName, deps.now(), observed),
    deployments: history.map(deploymentView),
    permissions: environmentPermissions(principal, located),
  };
}

/** What the runtime measures of the environment now, or why it could not; undefined once it is deleted. */
export async function observe(
  runtime: Runtime | undefined,
  located: Pick<LocatedEnvironment, 'env' | 'repoFullName'>,
): Promise<Observed | { error: string } | undefined> {
  if (runtime === undefined || located.env.phase === 'deleted') return undefined;
  try {
    return await runtime.inspect(refOf(located));
  } catch (error) {
    return { error: `the ${runtime.name} runtime could not be asked: ${String(error)}` };
  }
}

export interface LogRequest {
  tailLines: number;
  timestamps: boolean;
  follow: boolean;
  signal: AbortSignal | undefined;
}

/**
 * The environment's log lines. Following, the stream ends when the caller's signal aborts or the
 * environment is gone (deleted, or its row removed), checked every `logsGoneCheckMs`.
 */
export async function environmentLogs(
  deps: ServiceDeps,
  principal: Principal,
  ref: string,
  request: LogRequest,
): Promise<AsyncIterable<LogLine>> {
  const located = await locateEnvironment(deps.db, principal, ref);
  assertAllowed(principal, located, ref, 'logs');
  const runtime = deps.runtime;
  if (runtime === undefined)
    throw new Unavailable('This Glimpse server has no runtime configured, so it has no logs to show.');
  const stop = new AbortController();
  const signals = [stop.signal, ...(request.signal === undefined ? [] : [request.signal])];
  const signal = AbortSignal.any(signals);
  const lines = redactLines(
    runtime.logs(refOf(located), {
      tailLines: request.tailLines,
      timestamps: request.timestamps,
      follow: request.follow,
      signal,
    }),
    deps.redactor,
  );
  if (!request.follow) return withFailureReason(lines, located.env);
  const timer = setInterval(() => {
    void isGone(deps, located.env.id).then(
      (gone) => {
        if (gone) stop.abort();
      },
      () => {},
    );
  }, deps.logsGoneCheckMs ?? 2_000);
  return endWhenAborted(lines, signal, () => clearInterval(timer));
}

/**
 * A failed environment's log ends with why it failed, so that a failure decided before anything ran (an
 * invalid .glimpse.yml, a failed required check) shows in the logs too. The reason is already sanitised.
 */
async function* withFailureReason(
  lines: AsyncIterable<LogLine>,
  env: LocatedEnvironment['env'],
): AsyncIterable<LogLine> {
  yield* lines;
  if (env.phase !== 'failed' || env.error === null) return;
  // The output lines the error may carry are in the log already.
  const [first = '', ...rest] = failureReason(env.error).trimEnd().split('\n');
  for (const text of [`preview failed: ${first}`, ...rest])
    yield { time: env.updatedAt, source: 'glimpse', text };
}

async function* redactLines(lines: AsyncIterable<LogLine>, redactor: Redactor): AsyncIterable<LogLine> {
  for await (const line of lines) yield { ...line, text: redactor.redact(line.text) };
}

async function isGone(deps: ServiceDeps, id: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ phase: environments.phase })
    .from(environments)
    .where(eq(environments.id, id));
  return row === undefined || row.phase === 'deleted';
}

async function* endWhenAborted(
  lines: AsyncIterable<LogLine>,
  signal: AbortSignal,
  cleanup: () => void,
): AsyncIterable<LogLine> {
  const iterator = lines[Symbol.asyncIterator]();
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === 'aborted' || next.done === true) return;
      yield next.value;
    }
  } finally {
    cleanup();
    void iterator.return?.();
  }
}

export function refOf(located: Pick<LocatedEnvironment, 'env' | 'repoFullName'>): EnvironmentRef {
  return {
    namespace: located.env.namespace,
    repoFullName: located.repoFullName,
    prNumber: located.env.prNumber,
  };
}
