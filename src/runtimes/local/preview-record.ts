import type { EnvironmentRef } from '../runtime.ts';
import type { PreviewFailure } from './local-runtime-options.ts';
import type { LogWriter } from './log-writer.ts';
import type { ProcessLimits } from './preview-limits.ts';
import type { PreviewState, ProcessGroup } from './preview-state.ts';
import type { Supervisor } from './supervisor.ts';

/** One attempt to run one commit of a preview: its worktree, log, port and process. */
export interface Deployment {
  deploymentId: string;
  commitSha: string;
  /** Commit plus configuration: a deploy with the same fingerprint as the running one is a no-op. */
  fingerprint: string;
  /** `<preview>/deployments/<key>`, holding the worktree `src`. */
  dir: string;
  worktree: string;
  log: LogWriter;
  port: number | undefined;
  supervisor: Supervisor | undefined;
  group: ProcessGroup | undefined;
  /** The rlimits its commands run under, to tell which one a failure hit. */
  limits: ProcessLimits | undefined;
}

export type PreviewStatus = 'building' | 'running' | 'failed' | 'restoring';

/** Everything the runtime holds for one namespace, in memory; `toPreviewState` is what survives a restart. */
export interface PreviewRecord {
  ref: EnvironmentRef;
  dir: string;
  /** The uid (and gid) its commands run as, its own while it lives; undefined: Glimpse's. */
  uid: number | undefined;
  /** The deployment the proxy routes to. */
  serving: Deployment | undefined;
  /** A newer deployment being built or started while `serving` keeps answering. */
  starting: Deployment | undefined;
  /** The install or build step running right now. */
  stepGroup: ProcessGroup | undefined;
  status: PreviewStatus;
  /** Set when the serving process crashed too often and was given up. */
  failure: PreviewFailure | undefined;
  lastLogFile: string | undefined;
  /** The latest deploy failed (even if an older deployment still serves), or the serving process was given up. */
  lastAttemptFailed: boolean;
  /** Aborts the deploy in progress, e.g. when the environment is destroyed meanwhile. */
  deployAbort: AbortController | undefined;
}

export function toPreviewState(preview: PreviewRecord): PreviewState {
  const groups = [preview.serving?.group, preview.starting?.group, preview.stepGroup].filter(
    (g): g is ProcessGroup => g !== undefined,
  );
  const serving = preview.serving;
  return {
    version: 1,
    ref: {
      namespace: preview.ref.namespace,
      repoFullName: preview.ref.repoFullName,
      prNumber: preview.ref.prNumber,
    },
    serving:
      serving?.port === undefined
        ? null
        : {
            deploymentId: serving.deploymentId,
            commitSha: serving.commitSha,
            port: serving.port,
            logFile: serving.log.file,
          },
    groups,
    ...(preview.lastLogFile === undefined ? {} : { lastLogFile: preview.lastLogFile }),
    ...(preview.lastAttemptFailed ? { lastAttemptFailed: true } : {}),
    ...(preview.uid === undefined ? {} : { uid: preview.uid }),
  };
}
