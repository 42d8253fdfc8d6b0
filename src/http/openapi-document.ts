import { z } from 'zod';
import { GLIMPSE_VERSION } from '../version.ts';
import type { ApiRouteSpec } from './api-route.ts';

type JsonSchema = Record<string, unknown>;

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType, where: 'path' | 'query'): JsonSchema[] {
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** OpenAPI 3.1 for `/api/v1`, generated from the same zod schemas the routes parse with. */
export function openApiDocument(routes: ApiRouteSpec[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
    const content =
      route.response instanceof z.ZodType
        ? { 'application/json': { schema: jsonSchema(route.response, 'output') } }
        : Object.fromEntries(
            route.response.mediaTypes.map((type) => [type, { schema: mediaTypeSchema(type) }]),
          );
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: {
        [String(route.status)]: {
          description: route.response instanceof z.ZodType ? route.summary : route.response.description,
          content,
        },
        '400': errorResponse('invalid parameters'),
        '401': {
          ...errorResponse('missing, unknown or revoked token'),
          headers: {
            'WWW-Authenticate': {
              description: 'the RFC 6750 challenge: `Bearer realm="glimpse"`',
              schema: { type: 'string' },
            },
          },
        },
        '403': errorResponse('not allowed (or missing CSRF token with a session)'),
        '404': errorResponse('not found, or not visible to you'),
        '409': errorResponse('not possible in the current state'),
        '429': errorResponse('rate limited; see retry-after'),
        '503': errorResponse('something Glimpse needs (GitHub, the runtime) is unavailable; try again'),
      },
      ...(route.authenticated ? {} : { security: [] }),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Glimpse API', version: GLIMPSE_VERSION },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorSchema, 'output') },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'a glp_ token from "glimpse tokens create"',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'glimpse_session' },
      },
    },
  };
}

/**
 * A text answer is a string; a Server-Sent Events answer is described per event, as SSE-aware clients and
 * fuzzers read it (its fields, each a string but `retry`).
 */
function mediaTypeSchema(type: string): Record<string, unknown> {
  if (type !== 'text/event-stream') return { type: 'string' };
  return {
    type: 'object',
    properties: {
      event: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      retry: { type: 'integer' },
    },
  };
}
