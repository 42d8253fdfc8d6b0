import type { Database } from '../../db/database.ts';
import type { Redactor } from '../../domain/redactor.ts';
import type { GithubClient } from '../../github/github-client.ts';
import type { Runtime } from '../../runtimes/runtime.ts';

/** What the environment services need; the app hands in the real ones, tests their own. */
export interface ServiceDeps {
  db: Database;
  /** Logs and resource use come from here; without it those reads are Unavailable. */
  runtime: Runtime | undefined;
  /** Needed to deploy a PR Glimpse has not seen yet. */
  github: GithubClient | undefined;
  /** Every log line passes through it: preview output may print Glimpse's secrets. */
  redactor: Redactor;
  now: () => Date;
  /** How often a followed log stream checks that its environment still exists (ms). */
  logsGoneCheckMs?: number;
}
