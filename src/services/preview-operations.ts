import { logLineText } from '../domain/log-line-text.ts';
import type { Principal } from './auth/principal.ts';
import { deployPullRequest } from './environments/deploy-pull-request.ts';
import {
  deleteEnvironment,
  redeployEnvironment,
  retryEnvironment,
} from './environments/environment-actions.ts';
import { listEnvironmentEvents } from './environments/environment-events.ts';
import { environmentLogs, getEnvironment } from './environments/environment-reads.ts';
import type {
  AcceptedView,
  EnvironmentDetail,
  EnvironmentPage,
  ListQuery,
  MeView,
} from './environments/environment-schemas.ts';
import type {
  EventPage,
  EventsQuery,
  ExplainInput,
  PullRequestExplanation,
} from './environments/event-schemas.ts';
import { listEnvironments } from './environments/list-environments.ts';
import type { ServiceDeps } from './environments/service-deps.ts';
import { describeMe } from './me.ts';
import { explainPullRequest } from './pull-requests/explain-pull-request.ts';

export interface LogsRequest {
  tailLines: number;
  timestamps: boolean;
}

/**
 * Everything a person can do with previews, as one interface. The MCP tools and the `glimpse env`
 * commands are thin adapters over it; inside the server it is the services acting for one principal,
 * elsewhere (stdio MCP, CLI with --server) a REST client with that principal's token.
 * Failures are domain errors (NotFound, Forbidden, Unauthorized, InvalidInput, Conflict, Unavailable).
 */
export interface PreviewOperations {
  me(): Promise<MeView>;
  listEnvironments(query: ListQuery): Promise<EnvironmentPage>;
  getEnvironment(ref: string): Promise<EnvironmentDetail>;
  /** The environment's timeline, oldest first. */
  listEvents(ref: string, query: EventsQuery): Promise<EventPage>;
  /** Why a pull request has the preview it has, or none. */
  explain(input: ExplainInput): Promise<PullRequestExplanation>;
  /** The last `tailLines` lines as text, one per line. */
  readLogs(ref: string, request: LogsRequest): Promise<string>;
  /**
   * The last lines, then new ones as they come, until `signal` aborts or the environment is gone.
   * Resolves once access is checked, so refusals surface before any line.
   */
  followLogs(ref: string, request: LogsRequest & { signal?: AbortSignal }): Promise<AsyncIterable<string>>;
  retry(ref: string): Promise<AcceptedView>;
  redeploy(ref: string): Promise<AcceptedView>;
  delete(ref: string): Promise<AcceptedView>;
  deploy(input: { repoFullName: string; prNumber: number }): Promise<AcceptedView>;
}

/** The operations of one principal, done by the services in this process. */
export function createServiceOperations(deps: ServiceDeps, principal: Principal): PreviewOperations {
  return {
    me: () => describeMe(deps.db, principal),
    listEnvironments: (query) => listEnvironments(deps, principal, query),
    getEnvironment: (ref) => getEnvironment(deps, principal, ref),
    listEvents: (ref, query) => listEnvironmentEvents(deps, principal, ref, query),
    explain: (input) => explainPullRequest(deps, principal, input),
    async readLogs(ref, request) {
      const lines = await environmentLogs(deps, principal, ref, {
        ...request,
        follow: false,
        signal: undefined,
      });
      let text = '';
      for await (const line of lines)
        text += `${logLineText(line, { timestamps: request.timestamps, showSource: true })}\n`;
      return text;
    },
    async followLogs(ref, request) {
      const lines = await environmentLogs(deps, principal, ref, {
        tailLines: request.tailLines,
        timestamps: request.timestamps,
        follow: true,
        signal: request.signal,
      });
      return (async function* () {
        for await (const line of lines)
          yield logLineText(line, { timestamps: request.timestamps, showSource: true });
      })();
    },
    retry: (ref) => retryEnvironment(deps, principal, ref),
    redeploy: (ref) => redeployEnvironment(deps, principal, ref),
    delete: (ref) => deleteEnvironment(deps, principal, ref),
    deploy: (input) => deployPullRequest(deps, principal, input),
  };
}
