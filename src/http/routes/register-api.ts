import type { FastifyInstance } from 'fastify';
import type { ApiRouteSpec } from '../api-route.ts';
import { serveApiRoutes } from '../api-route.ts';
import { type AuthenticationDeps, authenticateRequests } from '../authenticate-request.ts';
import { openApiDocument } from '../openapi-document.ts';

/** `/api/v1`: the document in the open, everything else behind authentication. */
export function registerApi(
  http: FastifyInstance,
  routes: ApiRouteSpec[],
  auth: AuthenticationDeps,
  publicUrl: string,
): void {
  const document = openApiDocument(routes, publicUrl);
  http.get('/api/v1/openapi.json', async () => document);
  void http.register(
    async (scope) => {
      scope.addHook('onRequest', authenticateRequests(auth));
      serveApiRoutes(scope, routes);
    },
    { prefix: '/api/v1' },
  );
}
