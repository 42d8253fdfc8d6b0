import type { GlimpseConfig } from '../domain/glimpse-config.ts';
import type { LogLine } from '../domain/log-line.ts';

/**
 * Where previews run. The controller talks only to this interface; it never knows whether a
 * preview is a Kubernetes namespace or a local process.
 */
export interface Runtime {
  readonly name: 'local' | 'kubernetes';
  /** Set when this runtime must not run code from forks (local previews without a sandbox): why not. */
  readonly refusesForks?: string | undefined;
  /** The checks a commit must pass on GitHub before this runtime deploys it (none: deploy at once). */
  requiredChecks(config: GlimpseConfig): readonly string[];
  /** Idempotent: apply, then wait until ready or failed. Rejects with a RuntimeFailure. */
  deploy(spec: EnvironmentSpec, signal: AbortSignal): Promise<Deployed>;
  /** Idempotent: returns once everything of the environment is gone. */
  destroy(ref: EnvironmentRef, signal: AbortSignal): Promise<void>;
  logs(ref: EnvironmentRef, options: LogOptions): AsyncIterable<LogLine>;
  inspect(ref: EnvironmentRef): Promise<Observed>;
  /** Every environment this runtime holds resources for, for garbage collection and resync. */
  listManaged(): Promise<EnvironmentRef[]>;
  /**
   * Of these environments (by namespace), the ones whose resources vanished, in whole or in part (what `inspect`
   * reports as not existing or `missing`), found with a few requests for all of them, not a look at each: resync
   * asks this of every running environment on each pass.
   */
  findVanished(namespaces: readonly string[]): Promise<Set<string>>;
  /**
   * The environment failed before any of it ran (its configuration is invalid): where the runtime answers at
   * a preview's address itself, it says "This preview failed" there, with a link, instead of "no preview
   * here", until the environment deploys or is destroyed (also across a restart). A version still serving
   * keeps serving.
   */
  showFailed?(ref: EnvironmentRef): Promise<void>;
  /** Stops background work (supervisors, proxies, watches). Previews themselves keep their state. */
  close(): Promise<void>;
}

export interface EnvironmentRef {
  /** DNS-1123 name, `pr-<repo>-<number>`; unique across Glimpse. */
  namespace: string;
  repoFullName: string;
  prNumber: number;
}

export interface EnvironmentSpec extends EnvironmentRef {
  environmentId: string;
  deploymentId: string;
  commitSha: string;
  branch: string;
  /** Where the source comes from (local runtime): an https clone URL, or file:// when allowed. */
  cloneUrl: string;
  /** Short-lived credential for fetching the source; never written to disk or logs. */
  fetchToken: string | undefined;
  config: GlimpseConfig;
  /** Receives progress such as entering the build phase. */
  onPhase?: (phase: 'building' | 'deploying') => void;
  /** Receives how many objects of each kind were applied (runtimes that apply objects: Kubernetes). */
  onApplied?: (counts: Record<string, number>) => void;
}

export interface Deployed {
  url: string;
}

export interface LogOptions {
  tailLines: number;
  timestamps: boolean;
  follow: boolean;
  signal?: AbortSignal;
}

export interface Observed {
  exists: boolean;
  workloads: ObservedWorkload[];
  /** Said when usage cannot be measured, instead of inventing numbers. */
  usageUnavailableReason?: string;
  /** What the last deploy applied and is gone (e.g. `Deployment/web` deleted by hand); resync deploys again. */
  missing?: string[];
}

export interface ObservedWorkload {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  startedAt: Date | undefined;
  pid?: number;
  cpuMillicores?: number;
  memoryBytes?: number;
  /** Why the workload is not ready, when known (e.g. it crashed too often and was given up). */
  message?: string;
}

/**
 * A deploy or destroy that did not succeed. `transient` failures are retried by the controller
 * (5xx, timeouts, resets, conflicts); permanent ones fail the environment at once.
 */
export class RuntimeFailure extends Error {
  readonly transient: boolean;
  readonly logExcerpt: string[];
  /** The version deployed before this attempt still serves the preview's URL. */
  readonly previousServing: boolean;

  constructor(
    message: string,
    options: { transient: boolean; logExcerpt?: string[]; cause?: unknown; previousServing?: boolean },
  ) {
    super(message, { cause: options.cause });
    this.name = 'RuntimeFailure';
    this.transient = options.transient;
    this.logExcerpt = options.logExcerpt ?? [];
    this.previousServing = options.previousServing ?? false;
  }
}
