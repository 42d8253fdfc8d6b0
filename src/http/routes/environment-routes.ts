import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { PR_NUMBER_MAX } from '../../domain/pr-number-max.ts';
import {
  AcceptedView,
  EnvironmentDetail,
  EnvironmentPage,
  ListQuery,
  LogsQuery,
  MeView,
} from '../../services/environments/environment-schemas.ts';
import { EventPage, EventsQuery, PullRequestExplanation } from '../../services/environments/event-schemas.ts';
import type { PreviewOperations } from '../../services/preview-operations.ts';
import { type ApiRouteSpec, defineApiRoute } from '../api-route.ts';
import { startEventStream } from '../start-event-stream.ts';

const NoParams = z.object({});
const RefParams = z.object({ ref: z.string().min(1).max(100).describe('environment id or namespace') });
const PullParams = z.object({
  owner: z.string().min(1).max(100),
  repo: z.string().min(1).max(100),
  number: z.coerce.number().int().min(1).max(PR_NUMBER_MAX).describe('pull request number'),
});
export const MeResponse = MeView.extend({
  csrfToken: z.string().nullable().describe('with a session cookie: echo in x-csrf-token on changes'),
});

export interface EnvironmentRouteDeps {
  operations: (request: Parameters<ApiRouteSpec['handle']>[0]['request']) => PreviewOperations;
  csrfToken: (request: Parameters<ApiRouteSpec['handle']>[0]['request']) => string | undefined;
  /** Aborted when the server shuts down: followed log streams end. */
  shutdown: AbortSignal;
}

/** `/api/v1`: each route parses its input, calls one operation and answers; nothing else. */
export function environmentRoutes(deps: EnvironmentRouteDeps): ApiRouteSpec[] {
  const ops = deps.operations;
  return [
    defineApiRoute({
      method: 'GET',
      path: '/me',
      operationId: 'getMe',
      summary: 'The signed-in user and their teams',
      params: NoParams,
      query: NoParams,
      status: 200,
      response: MeResponse,
      authenticated: true,
      handle: async ({ request }) => ({
        ...(await ops(request).me()),
        csrfToken: deps.csrfToken(request) ?? null,
      }),
    }),
    defineApiRoute({
      method: 'GET',
      path: '/environments',
      operationId: 'listEnvironments',
      summary: 'Environments you can see, newest activity first (cursor pagination)',
      params: NoParams,
      query: ListQuery,
      status: 200,
      response: EnvironmentPage,
      authenticated: true,
      handle: ({ request, query }) => ops(request).listEnvironments(query),
    }),
    defineApiRoute({
      method: 'GET',
      path: '/environments/:ref',
      operationId: 'getEnvironment',
      summary: 'One environment with its deployment history and resource use',
      params: RefParams,
      query: NoParams,
      status: 200,
      response: EnvironmentDetail,
      authenticated: true,
      handle: ({ request, params }) => ops(request).getEnvironment(params.ref),
    }),
    defineApiRoute({
      method: 'GET',
      path: '/environments/:ref/events',
      operationId: 'listEnvironmentEvents',
      summary: 'The timeline of an environment: why each change happened, oldest first (cursor pagination)',
      params: RefParams,
      query: EventsQuery,
      status: 200,
      response: EventPage,
      authenticated: true,
      handle: ({ request, params, query }) => ops(request).listEvents(params.ref, query),
    }),
    defineApiRoute({
      method: 'GET',
      path: '/environments/:ref/logs',
      operationId: 'getEnvironmentLogs',
      summary:
        'Log lines as text; with follow=true a Server-Sent Events stream (event "end" when it is gone)',
      params: RefParams,
      query: LogsQuery,
      status: 200,
      response: { mediaTypes: ['text/plain', 'text/event-stream'], description: 'log lines' },
      authenticated: true,
      handle: async ({ request, reply, params, query }) => {
        const request_ = { tailLines: query.tailLines, timestamps: query.timestamps };
        if (!query.follow) {
          void reply.type('text/plain; charset=utf-8');
          return ops(request).readLogs(params.ref, request_);
        }
        const abort = new AbortController();
        const signal = AbortSignal.any([abort.signal, deps.shutdown]);
        const lines = await ops(request).followLogs(params.ref, { ...request_, signal });
        await streamEvents(reply, lines, abort);
        return undefined;
      },
    }),
    ...(['retry', 'redeploy'] as const).map((action) =>
      defineApiRoute({
        method: 'POST',
        path: `/environments/:ref/${action}`,
        operationId: `${action}Environment`,
        summary:
          action === 'retry'
            ? 'Retry a failed deployment (409 unless the environment failed)'
            : 'Deploy the head commit again',
        params: RefParams,
        query: NoParams,
        status: 202,
        response: AcceptedView,
        authenticated: true,
        handle: ({ request, params }) => ops(request)[action](params.ref),
      }),
    ),
    defineApiRoute({
      method: 'DELETE',
      path: '/environments/:ref',
      operationId: 'deleteEnvironment',
      summary: 'Delete an environment (team admins and owners); it goes away in the background',
      params: RefParams,
      query: NoParams,
      status: 202,
      response: AcceptedView,
      authenticated: true,
      handle: ({ request, params }) => ops(request).delete(params.ref),
    }),
    defineApiRoute({
      method: 'GET',
      path: '/repos/:owner/:repo/pulls/:number/explain',
      operationId: 'explainPullRequest',
      summary:
        'Why a pull request has its preview, or none: its latest deliveries, the gate, its phase and events',
      params: PullParams,
      query: NoParams,
      status: 200,
      response: PullRequestExplanation,
      authenticated: true,
      handle: ({ request, params }) =>
        ops(request).explain({ repoFullName: `${params.owner}/${params.repo}`, prNumber: params.number }),
    }),
    defineApiRoute({
      method: 'POST',
      path: '/repos/:owner/:repo/pulls/:number/deploy',
      operationId: 'deployPullRequest',
      summary:
        'Deploy a pull request of a connected repository, without the opt-in label; for a fork, approve its head commit (a later push waits again)',
      params: PullParams,
      query: NoParams,
      status: 202,
      response: AcceptedView,
      authenticated: true,
      handle: ({ request, params }) =>
        ops(request).deploy({ repoFullName: `${params.owner}/${params.repo}`, prNumber: params.number }),
    }),
  ];
}

/** Server-Sent Events: one `data:` event per line, `event: end` when the stream ends on our side. */
async function streamEvents(reply: FastifyReply, lines: AsyncIterable<string>, abort: AbortController) {
  const raw = startEventStream(reply);
  raw.on('close', () => abort.abort());
  raw.write(': following\n\n');
  try {
    for await (const line of lines) {
      raw.write(
        `${line
          .split(/\r?\n/)
          .map((part) => `data: ${part}`)
          .join('\n')}\n\n`,
      );
    }
    if (!raw.destroyed) raw.end('event: end\ndata: \n\n');
  } catch (error) {
    reply.log.warn({ err: error }, 'log stream failed');
    if (!raw.destroyed)
      raw.end(`event: error\ndata: ${error instanceof Error ? error.message : 'failed'}\n\n`);
  }
}
