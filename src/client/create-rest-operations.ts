import type { z } from 'zod';
import {
  Conflict,
  type DomainError,
  Forbidden,
  InvalidInput,
  NotFound,
  Unauthorized,
  Unavailable,
} from '../domain/errors.ts';
import {
  AcceptedView,
  EnvironmentDetail,
  EnvironmentPage,
  MeView,
} from '../services/environments/environment-schemas.ts';
import { EventPage, PullRequestExplanation } from '../services/environments/event-schemas.ts';
import type { LogsRequest, PreviewOperations } from '../services/preview-operations.ts';
import { readServerSentEvents } from './read-server-sent-events.ts';

export interface RestTarget {
  /** Base URL of the Glimpse server, e.g. https://glimpse.example.com */
  url: string;
  token: string;
  fetch?: typeof fetch;
}

const ERRORS: Record<string, new (message: string) => DomainError> = {
  NOT_FOUND: NotFound,
  FORBIDDEN: Forbidden,
  UNAUTHORIZED: Unauthorized,
  INVALID_INPUT: InvalidInput,
  CONFLICT: Conflict,
  UNAVAILABLE: Unavailable,
  RATE_LIMITED: Unavailable,
};

/**
 * PreviewOperations over the REST API, for the stdio MCP server and `glimpse env --server`: the same
 * answers and the same domain errors as the services give inside the server.
 */
export function createRestOperations(target: RestTarget): PreviewOperations {
  const base = `${target.url.replace(/\/+$/, '')}/api/v1`;
  const doFetch = target.fetch ?? fetch;

  async function send(method: string, path: string, init: { signal?: AbortSignal } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: 'application/json, text/plain, text/event-stream',
        },
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      });
    } catch (error) {
      throw new Unavailable(
        `Cannot reach Glimpse at ${target.url} (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}): check GLIMPSE_URL or --server.`,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let code = 'UNAVAILABLE';
    let message = `Glimpse answered ${response.status} ${response.statusText}`;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (typeof body.error?.code === 'string') code = body.error.code;
      if (typeof body.error?.message === 'string') message = body.error.message;
    } catch {
      // not our error shape: keep the status line
    }
    const ErrorClass = ERRORS[code] ?? Unavailable;
    throw new ErrorClass(message);
  }

  async function json<S extends z.ZodType>(schema: S, method: string, path: string): Promise<z.output<S>> {
    const response = await send(method, path);
    return schema.parse(await response.json());
  }

  const env = (ref: string) => `/environments/${encodeURIComponent(ref)}`;
  const search = (query: Record<string, unknown>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return params.size > 0 ? `?${params}` : '';
  };
  const pullPath = (repoFullName: string, prNumber: number, action: string) => {
    const [owner = '', repo = ''] = repoFullName.split('/');
    if (owner === '' || repo === '' || repoFullName.split('/').length !== 2)
      throw new InvalidInput(`"${repoFullName}" is not a repository name: use owner/name.`);
    return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls/${prNumber}/${action}`;
  };
  const logsPath = (ref: string, request: LogsRequest, follow: boolean) =>
    `${env(ref)}/logs?${new URLSearchParams({
      tailLines: String(request.tailLines),
      timestamps: String(request.timestamps),
      follow: String(follow),
    })}`;

  return {
    me: () => json(MeView, 'GET', '/me'),
    listEnvironments: (query) => json(EnvironmentPage, 'GET', `/environments${search(query)}`),
    getEnvironment: (ref) => json(EnvironmentDetail, 'GET', env(ref)),
    listEvents: (ref, query) => json(EventPage, 'GET', `${env(ref)}/events${search(query)}`),
    explain: async ({ repoFullName, prNumber }) =>
      json(PullRequestExplanation, 'GET', pullPath(repoFullName, prNumber, 'explain')),
    async readLogs(ref, request) {
      return (await send('GET', logsPath(ref, request, false))).text();
    },
    async followLogs(ref, request) {
      const response = await send(
        'GET',
        logsPath(ref, request, true),
        request.signal ? { signal: request.signal } : {},
      );
      if (response.body === null) throw new Unavailable('Glimpse sent no log stream.');
      return readServerSentEvents(response.body);
    },
    retry: (ref) => json(AcceptedView, 'POST', `${env(ref)}/retry`),
    redeploy: (ref) => json(AcceptedView, 'POST', `${env(ref)}/redeploy`),
    delete: (ref) => json(AcceptedView, 'DELETE', env(ref)),
    deploy: async ({ repoFullName, prNumber }) =>
      json(AcceptedView, 'POST', pullPath(repoFullName, prNumber, 'deploy')),
  };
}
