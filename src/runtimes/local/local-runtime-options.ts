import type { Logger } from 'pino';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import type { EnvironmentRef } from '../runtime.ts';
import type { Sandbox } from './choose-sandbox.ts';
import type { LimitSetup } from './limit-enforcement.ts';

/** A running preview that crashed too often and was given up; the controller should mark it failed. */
export interface PreviewFailure {
  ref: EnvironmentRef;
  deploymentId: string;
  commitSha: string;
  message: string;
  exitCode: number | null;
  signal: string | null;
  logExcerpt: string[];
  at: Date;
}

/** Timing knobs; the defaults are the production behaviour, tests shorten them. */
export interface LocalRuntimeTiming {
  /** Wait between health probes. */
  healthIntervalMs: number;
  /** SIGTERM to SIGKILL. */
  stopGraceMs: number;
  /** First restart delay after a crash; doubles with every crash in the window. */
  restartBackoffMs: number;
  /** Crashes within `crashWindowMs` after which a preview is failed. */
  crashLimit: number;
  crashWindowMs: number;
  /** Longest wait for in-flight requests to the old process after the proxy switched. */
  drainMs: number;
  /** How often `logs({ follow: true })` looks for new lines. */
  followIntervalMs: number;
  /** Window over which inspect measures CPU use. */
  cpuSampleMs: number;
}

export interface LocalRuntimeOptions {
  /**
   * Glimpse's data directory; the runtime keeps everything under `<dataDir>/local`, unless project files
   * lie above it (a data dir inside a checkout): then under the first clean folder of `spareDirs`.
   */
  dataDir: string;
  /** Where worktrees may go instead of the data dir (a per-user cache, the temp dir), in order. */
  spareDirs?: readonly string[];
  /** Address and port of the preview reverse proxy (GLIMPSE_PROXY_PORT, default 8080; 0 picks one). */
  proxyHost?: string;
  proxyPort?: number;
  /** Previews are served at `pr-<repo>-<number>.<baseDomain>` (GLIMPSE_BASE_DOMAIN). */
  baseDomain?: string;
  /** Scheme and port of preview URLs as reviewers reach them (e.g. behind a TLS terminator). */
  previewUrlScheme?: 'http' | 'https';
  previewUrlPort?: number;
  /** Glimpse's own URL, linked from the "building" and "failed" pages. */
  publicUrl: string;
  /** Time limit for install plus build (GLIMPSE_BUILD_TIMEOUT_SECONDS, default 600 s). */
  buildTimeoutMs?: number;
  /** Time for a started app to answer its health path (default 120 s). */
  healthTimeoutMs?: number;
  /** Accept file:// and plain-path clone URLs (GLIMPSE_ALLOW_FILE_REPOS; for tests and demos). */
  allowFileRepos?: boolean;
  logger: Logger;
  /** How previews' commands are confined (GLIMPSE_LOCAL_SANDBOX, see `chooseSandbox`). */
  sandbox: Sandbox;
  /** PATH given to git and to previews: Glimpse's own (`Config.local.searchPath`). */
  childPath: string;
  /**
   * Limits per preview: the most `local.resources` may ask for (also what a preview gets by default), the
   * `prlimit` that sets them (undefined: they cannot be enforced) and the `chrt` that runs previews as
   * batch work (undefined: as any process). Unset: previews run without limits.
   */
  limits?: LimitSetup;
  /** Size after which a deployment log is rotated. */
  maxLogBytes?: number;
  /** Called when a running preview crashed `crashLimit` times and was given up. */
  onPreviewFailed?: (failure: PreviewFailure) => void;
  timing?: Partial<LocalRuntimeTiming>;
  /** Counts preview processes, their restarts and the proxy's responses. */
  metrics?: GlimpseMetrics | undefined;
}

export interface ResolvedOptions {
  dataDir: string;
  root: string;
  proxyHost: string;
  proxyPort: number;
  baseDomain: string;
  previewUrlScheme: 'http' | 'https';
  previewUrlPort: number | undefined;
  publicUrl: string;
  buildTimeoutMs: number;
  healthTimeoutMs: number;
  allowFileRepos: boolean;
  logger: Logger;
  sandbox: Sandbox;
  childPath: string;
  limits: LimitSetup | undefined;
  maxLogBytes: number;
  onPreviewFailed: (failure: PreviewFailure) => void;
  timing: LocalRuntimeTiming;
  metrics: GlimpseMetrics | undefined;
}

export const DEFAULT_TIMING: LocalRuntimeTiming = {
  healthIntervalMs: 250,
  stopGraceMs: 10_000,
  restartBackoffMs: 1_000,
  crashLimit: 3,
  crashWindowMs: 5 * 60_000,
  drainMs: 5_000,
  followIntervalMs: 250,
  cpuSampleMs: 200,
};

export function resolveOptions(options: LocalRuntimeOptions, root: string): ResolvedOptions {
  return {
    dataDir: options.dataDir,
    root,
    proxyHost: options.proxyHost ?? '127.0.0.1',
    proxyPort: options.proxyPort ?? 8080,
    baseDomain: (options.baseDomain ?? 'localhost').toLowerCase().replace(/^\.+|\.+$/g, ''),
    previewUrlScheme: options.previewUrlScheme ?? 'http',
    previewUrlPort: options.previewUrlPort,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    buildTimeoutMs: options.buildTimeoutMs ?? 600_000,
    healthTimeoutMs: options.healthTimeoutMs ?? 120_000,
    allowFileRepos: options.allowFileRepos ?? false,
    logger: options.logger,
    sandbox: options.sandbox,
    childPath: options.childPath,
    limits: options.limits,
    maxLogBytes: options.maxLogBytes ?? 20 * 1024 * 1024,
    onPreviewFailed: options.onPreviewFailed ?? (() => {}),
    timing: { ...DEFAULT_TIMING, ...options.timing },
    metrics: options.metrics,
  };
}
