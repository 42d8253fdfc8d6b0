import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseInput } from '../services/parse-input.ts';

/** A REST route described once: Fastify serves it, the OpenAPI document is generated from it. */
export interface ApiRouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Under /api/v1, Fastify syntax (`/environments/:ref`). */
  path: string;
  operationId: string;
  summary: string;
  params: P;
  query: Q;
  status: number;
  /** JSON schema of the answer, or a media type for other answers (logs). */
  response: z.ZodType | { mediaTypes: string[]; description: string };
  /** Whether it needs a principal (a token or session); false only for the document itself. */
  authenticated: boolean;
  handle(input: {
    params: z.output<P>;
    query: z.output<Q>;
    request: FastifyRequest;
    reply: FastifyReply;
  }): Promise<unknown>;
}

export function defineApiRoute<P extends z.ZodType, Q extends z.ZodType>(
  spec: ApiRouteSpec<P, Q>,
): ApiRouteSpec {
  return spec as unknown as ApiRouteSpec;
}

/** Registers routes on a scope: parameters and query parsed with zod (problems are a 400), then handled. */
export function serveApiRoutes(scope: FastifyInstance, routes: ApiRouteSpec[]): void {
  for (const route of routes) {
    scope.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const params = parseInput(route.params, request.params, 'path parameters');
        const query = parseInput(route.query, request.query, 'query parameters');
        const result = await route.handle({ params, query, request, reply });
        if (reply.sent) return reply;
        return reply.status(route.status).send(result);
      },
    });
  }
}
