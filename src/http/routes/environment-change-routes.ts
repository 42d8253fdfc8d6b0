import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../services/auth/principal.ts';
import type {
  EnvironmentChange,
  EnvironmentChangeFeed,
} from '../../services/environments/environment-change-feed.ts';
import { type ApiRouteSpec, defineApiRoute } from '../api-route.ts';
import { startEventStream } from '../start-event-stream.ts';

/** How long an ended stream's client has to read its last bytes before the socket is closed. */
const END_GRACE_MS = 1_000;
const HEARTBEAT_MS = 15_000;

const ChangesQuery = z.object({
  lastEventId: z
    .string()
    .max(100)
    .optional()
    .describe('resume after this event id (the Last-Event-ID header does the same)'),
});

export interface EnvironmentChangeRouteDeps {
  feed: EnvironmentChangeFeed;
  principal: (request: FastifyRequest) => Principal;
  /** Aborted when the server shuts down: every stream ends. */
  shutdown: AbortSignal;
}

/**
 * `GET /api/v1/environment-changes`: Server-Sent Events, one `environment` event (the environment as the
 * list shows it) per change the caller may see. Event ids resume: with Last-Event-ID the stream first
 * repeats what changed since (a few seconds more, to be safe; clients apply events idempotently), or sends
 * `reset` when that is too much or unknown. `ready` marks the live part.
 */
export function environmentChangeRoutes(deps: EnvironmentChangeRouteDeps): ApiRouteSpec[] {
  return [
    defineApiRoute({
      method: 'GET',
      path: '/environment-changes',
      operationId: 'streamEnvironmentChanges',
      summary:
        'Server-Sent Events of changes to environments you can see (event "environment"; "reset": load everything again)',
      params: z.object({}),
      query: ChangesQuery,
      status: 200,
      response: { mediaTypes: ['text/event-stream'], description: 'environment changes' },
      authenticated: true,
      handle: async ({ request, reply, query }) => {
        const principal = deps.principal(request);
        const header = request.headers['last-event-id'];
        const resumeFrom = query.lastEventId ?? (typeof header === 'string' ? header : undefined);
        const backlog = resumeFrom === undefined ? [] : await deps.feed.changesSince(principal, resumeFrom);
        // A stream lives as long as its connection: when it ends, so does the connection.
        const raw = startEventStream(reply, { connection: 'close' });
        let ended = false;
        let unsubscribe: (() => void) | undefined;
        let heartbeat: NodeJS.Timeout | undefined;
        const end = () => {
          if (ended) return;
          ended = true;
          clearInterval(heartbeat);
          unsubscribe?.();
          deps.shutdown.removeEventListener('abort', end);
          if (raw.destroyed) return;
          raw.end();
          // A client that stopped reading would keep the socket, and a closing server waiting for it, forever.
          setTimeout(() => raw.destroy(), END_GRACE_MS).unref();
        };
        // Both before the first await: a client gone or a server closing while it subscribes still ends it.
        raw.on('close', end);
        deps.shutdown.addEventListener('abort', end);
        const write = (text: string) => {
          if (!raw.destroyed) raw.write(text);
        };
        const send = (change: EnvironmentChange) =>
          write(
            `id: ${change.position}\nevent: environment\ndata: ${JSON.stringify(change.environment)}\n\n`,
          );
        write('retry: 1000\n\n');
        if (backlog === undefined) write('event: reset\ndata: {}\n\n');
        else for (const change of backlog) send(change);
        unsubscribe = await deps.feed.subscribe(principal, { send });
        if (ended || deps.shutdown.aborted) {
          end();
          unsubscribe();
          return undefined;
        }
        write('event: ready\ndata: {}\n\n');
        heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
        return undefined;
      },
    }),
  ];
}
