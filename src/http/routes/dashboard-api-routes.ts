import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import type { Principal } from '../../services/auth/principal.ts';
import { listAuditEvents, listDeliveries, listRepos } from '../../services/dashboard-reads.ts';
import {
  AuditList,
  CreatedTokenView,
  DeliveryList,
  RepoList,
  RevokedTokenView,
  TokenList,
} from '../../services/dashboard-schemas.ts';
import { QueryText } from '../../services/environments/environment-schemas.ts';
import { describeGithubApp, GithubAppView } from '../../services/github-app/describe-github-app.ts';
import { createOwnToken, listOwnTokens, revokeOwnToken } from '../../services/own-api-tokens.ts';
import { type ApiRouteSpec, defineApiRoute } from '../api-route.ts';

const NoParams = z.object({});
const DeliveriesQuery = z.object({
  repo: QueryText(3).optional().describe('only deliveries about this repository, owner/name'),
});

export interface DashboardApiDeps {
  db: Database;
  principal: (request: FastifyRequest) => Principal;
  /** The GitHub App this server runs as, and where the manifest flow starts (undefined: it is off). */
  githubApp: { appId: number | undefined; connectPath: string | undefined };
}

/** `/api/v1` routes behind the dashboard's repositories, deliveries, audit and account pages. */
export function dashboardApiRoutes(deps: DashboardApiDeps): ApiRouteSpec[] {
  const { db, principal, githubApp } = deps;
  const read = (
    path: string,
    operationId: string,
    summary: string,
    response: z.ZodType,
    run: (p: Principal) => Promise<unknown>,
  ) =>
    defineApiRoute({
      method: 'GET',
      path,
      operationId,
      summary,
      params: NoParams,
      query: NoParams,
      status: 200,
      response,
      authenticated: true,
      handle: ({ request }) => run(principal(request)),
    });
  return [
    read(
      '/repos',
      'listRepos',
      'Connected repositories of your teams, with their count of previews',
      RepoList,
      (p) => listRepos(db, p),
    ),
    defineApiRoute({
      method: 'GET',
      path: '/deliveries',
      operationId: 'listDeliveries',
      summary:
        'The latest webhook deliveries and what became of them, of one repository or all (administrators)',
      params: NoParams,
      query: DeliveriesQuery,
      status: 200,
      response: DeliveryList,
      authenticated: true,
      handle: ({ request, query }) => listDeliveries(db, principal(request), query),
    }),
    read(
      '/github-app',
      'getGithubApp',
      'The GitHub App Glimpse runs as, the one connected with the manifest flow, and where to connect one',
      GithubAppView,
      (p) => describeGithubApp(db, p, githubApp),
    ),
    read('/audit', 'listAuditEvents', 'Who did what, newest first (administrators)', AuditList, (p) =>
      listAuditEvents(db, p),
    ),
    read('/tokens', 'listOwnTokens', 'Your API tokens that still work', TokenList, (p) =>
      listOwnTokens(db, p),
    ),
    defineApiRoute({
      method: 'POST',
      path: '/tokens',
      operationId: 'createOwnToken',
      summary: 'Create an API token for yourself; the answer is the only time it is shown',
      params: NoParams,
      query: z.object({ name: QueryText(1, 100).describe('what the token is for') }),
      status: 201,
      response: CreatedTokenView,
      authenticated: true,
      handle: ({ request, query }) => createOwnToken(db, principal(request), query.name),
    }),
    defineApiRoute({
      method: 'DELETE',
      path: '/tokens/:id',
      operationId: 'revokeOwnToken',
      summary: 'Revoke one of your API tokens',
      params: z.object({ id: z.uuid() }),
      query: NoParams,
      status: 200,
      response: RevokedTokenView,
      authenticated: true,
      handle: ({ request, params }) => revokeOwnToken(db, principal(request), params.id),
    }),
  ];
}
