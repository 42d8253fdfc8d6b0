import { type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAppJwt } from './app-jwt.ts';
import type { Faults } from './faults.ts';
import { answerGraphql } from './graphql-route.ts';
import { OpenApiMismatch, validateResponse } from './openapi-validator.ts';
import {
  error,
  matchTemplate,
  notFound,
  type Route,
  routeKey,
  type SimRequest,
  type SimResponse,
} from './route.ts';
import type { SimRepo, SimState } from './sim-state.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Route key (`GET /repos/{owner}/{repo}`), undefined when the simulator does not know the route. */
  route: string | undefined;
  status: number;
  /** Wall-clock time the request arrived (epoch ms). */
  at: number;
}

export interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

export interface PipelineDeps {
  state: SimState;
  routes: Route[];
  faults: Faults;
  tokens: Map<string, IssuedToken>;
  downloads: Map<string, { archive: Buffer; filename: string }>;
  publicKey: KeyObject;
  now: () => number;
  validate: boolean;
  requests: RecordedRequest[];
  unexpectedRequests: RecordedRequest[];
  schemaViolations: string[];
  baseUrl: () => string;
}

const RATE_LIMIT = 5000;
const ANONYMOUS_RATE_LIMIT = 60;
const TOKEN_TTL_MS = 60 * 60 * 1000;

/** The HTTP pipeline: record, route, fault injection, auth, handle, validate, rate-limit headers. */
export function createRequestHandler(deps: PipelineDeps) {
  const quotas = new Map<string, { used: number; resetAt: number }>();

  function quotaHeaders(identity: string, consume: boolean): Record<string, string> {
    const nowSec = Math.floor(deps.now() / 1000);
    let quota = quotas.get(identity);
    if (!quota || quota.resetAt <= nowSec) {
      quota = { used: 0, resetAt: nowSec + 3600 };
      quotas.set(identity, quota);
    }
    const limit = identity === 'anonymous' ? ANONYMOUS_RATE_LIMIT : RATE_LIMIT;
    if (consume) quota.used = Math.min(limit, quota.used + 1);
    const used = identity.startsWith('installation:')
      ? Math.min(limit, quota.used + deps.faults.usedElsewhere)
      : quota.used;
    const primary = deps.faults.primary;
    const exhausted = primary && primary.resetAt > nowSec && identity.startsWith('installation:');
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': exhausted ? '0' : String(limit - used),
      'x-ratelimit-used': exhausted ? String(limit) : String(used),
      'x-ratelimit-reset': String(exhausted ? primary.resetAt : quota.resetAt),
      'x-ratelimit-resource': 'core',
    };
  }

  async function dispatch(
    request: SimRequest,
    record: RecordedRequest,
    caller: { identity: string },
  ): Promise<[SimResponse, string]> {
    const download = /^\/_codeload\/([a-f0-9-]+)$/.exec(request.path);
    if (request.method === 'GET' && download) {
      const file = deps.downloads.get(download[1] ?? '');
      if (!file) return [notFound(), 'anonymous'];
      record.route = 'GET /_codeload/{id}';
      const headers = {
        'content-type': 'application/x-gzip',
        'content-disposition': `attachment; filename=${file.filename}`,
      };
      return [{ status: 200, raw: file.archive, headers }, 'anonymous'];
    }
    if (request.method === 'POST' && request.path === '/graphql')
      return answerGraphqlRequest(request, record);
    let route: Route | undefined;
    let params: Record<string, string> | undefined;
    for (const candidate of deps.routes) {
      params =
        candidate.method === request.method ? matchTemplate(candidate.template, request.path) : undefined;
      if (params) {
        route = candidate;
        break;
      }
    }
    if (!route || !params) {
      deps.unexpectedRequests.push(record);
      return [notFound(), 'anonymous'];
    }
    const key = routeKey(route);
    record.route = key;
    request.params = params;

    const delay = deps.faults.takeDelay(key);
    if (delay) await sleep(delay);

    const credential = credentialOf(request);
    if (key === 'POST /app/installations/{installation_id}/access_tokens') {
      return [issueToken(credential, Number(params.installation_id)), 'app'];
    }
    if (key === 'GET /app') {
      const response = describeApp(credential);
      if (deps.validate && response.status === 200) validateResponse('GET', '/app', 200, response.body);
      return [response, 'app'];
    }
    const { token, identity } = installationOf(credential);
    caller.identity = identity;
    if (!token) return [error(401, 'Bad credentials'), identity];
    const repo = deps.state.repos.get(`${params.owner}/${params.repo}`.toLowerCase());
    if (!repo) return [notFound(), identity];
    if (repo.installationId !== token.installationId) return [error(401, 'Bad credentials'), identity];

    const refused = rateLimited(key, token.installationId) ?? injectedError(key);
    if (refused) return [refused, identity];

    const response = await route.handle(request, {
      state: deps.state,
      api: deps.baseUrl(),
      repo: repo satisfies SimRepo,
      downloadUrl: (archive, filename) => {
        const id = randomUUID();
        deps.downloads.set(id, { archive, filename });
        return `${deps.baseUrl()}/_codeload/${id}`;
      },
    });
    if (deps.validate && response.body !== undefined) {
      validateResponse(route.method, route.template, response.status, response.body);
    }
    return [response, identity];
  }

  /** POST /graphql: the token is checked per repository the query names, as GitHub does. */
  async function answerGraphqlRequest(
    request: SimRequest,
    record: RecordedRequest,
  ): Promise<[SimResponse, string]> {
    const key = 'POST /graphql';
    record.route = key;
    const delay = deps.faults.takeDelay(key);
    if (delay) await sleep(delay);
    const { token, identity } = installationOf(credentialOf(request));
    if (!token) return [error(401, 'Bad credentials'), identity];
    const refused = rateLimited(key, token.installationId) ?? injectedError(key);
    if (refused) return [refused, identity];
    return [await answerGraphql(request.body, deps.state, token.installationId), identity];
  }

  /** The installation a token belongs to, unless it is unknown or expired. */
  function installationOf(credential: string | undefined): { token?: IssuedToken; identity: string } {
    const token = credential ? deps.tokens.get(credential) : undefined;
    const identity = token ? `installation:${token.installationId}` : 'anonymous';
    return token && token.expiresAt > deps.now() ? { token, identity } : { identity };
  }

  function injectedError(key: string): SimResponse | undefined {
    const failure = deps.faults.takeError(key);
    if (!failure) return undefined;
    return error(failure, failure === 502 ? 'Server Error' : 'Service Unavailable');
  }

  function rateLimited(key: string, installationId: number): SimResponse | undefined {
    const nowMs = deps.now();
    const primary = deps.faults.primary;
    if (primary && primary.resetAt * 1000 > nowMs) {
      return error(primary.status, `API rate limit exceeded for installation ID ${installationId}.`);
    }
    const retryAfter = deps.faults.takeSecondary(key);
    if (retryAfter !== undefined) deps.faults.secondaryUntil = nowMs + retryAfter * 1000;
    if (deps.faults.secondaryUntil > nowMs) {
      const seconds = Math.ceil((deps.faults.secondaryUntil - nowMs) / 1000);
      const response = error(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      );
      return { ...response, headers: { 'retry-after': String(seconds) } };
    }
    return undefined;
  }

  /** GET /app: the authenticated App, when the JWT is valid. */
  function describeApp(jwt: string | undefined): SimResponse {
    const problem = jwt
      ? verifyAppJwt(jwt, deps.publicKey, deps.state.appId, deps.now())
      : 'A JSON web token could not be decoded';
    if (problem) return error(401, problem);
    const { appId, appSlug } = deps.state;
    const at = deps.state.nowIso();
    const owner = { login: 'acme', id: 9001, type: 'Organization' };
    return {
      status: 200,
      body: {
        id: appId,
        slug: appSlug,
        node_id: Buffer.from(`App${appId}`).toString('base64'),
        client_id: `Iv1.${appId}`,
        owner: {
          login: owner.login,
          id: owner.id,
          node_id: Buffer.from(`Org${owner.id}`).toString('base64'),
          avatar_url: `https://avatars.githubusercontent.com/u/${owner.id}`,
          gravatar_id: '',
          url: `${deps.baseUrl()}/users/${owner.login}`,
          html_url: `https://github.com/${owner.login}`,
          followers_url: `${deps.baseUrl()}/users/${owner.login}/followers`,
          following_url: `${deps.baseUrl()}/users/${owner.login}/following{/other_user}`,
          gists_url: `${deps.baseUrl()}/users/${owner.login}/gists{/gist_id}`,
          starred_url: `${deps.baseUrl()}/users/${owner.login}/starred{/owner}{/repo}`,
          subscriptions_url: `${deps.baseUrl()}/users/${owner.login}/subscriptions`,
          organizations_url: `${deps.baseUrl()}/users/${owner.login}/orgs`,
          repos_url: `${deps.baseUrl()}/users/${owner.login}/repos`,
          events_url: `${deps.baseUrl()}/users/${owner.login}/events{/privacy}`,
          received_events_url: `${deps.baseUrl()}/users/${owner.login}/received_events`,
          type: owner.type,
          site_admin: false,
        },
        name: 'Glimpse',
        description: 'Preview environments for pull requests',
        external_url: 'https://glimpse.example.com',
        html_url: `https://github.com/apps/${appSlug}`,
        created_at: at,
        updated_at: at,
        permissions: { contents: 'read', deployments: 'write', issues: 'write', pull_requests: 'write' },
        events: ['pull_request', 'check_run'],
        installations_count: new Set([...deps.state.repos.values()].map((r) => r.installationId)).size,
      },
    };
  }

  function issueToken(jwt: string | undefined, installationId: number): SimResponse {
    const problem = jwt
      ? verifyAppJwt(jwt, deps.publicKey, deps.state.appId, deps.now())
      : 'A JSON web token could not be decoded';
    if (problem) return error(401, problem);
    const known = [...deps.state.repos.values()].some((repo) => repo.installationId === installationId);
    if (!known) return notFound();
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'A').slice(0, 36)}`;
    const expiresAt = deps.now() + TOKEN_TTL_MS;
    deps.tokens.set(token, { installationId, expiresAt });
    const body = {
      token,
      expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'read', deployments: 'write', issues: 'write', pull_requests: 'write' },
      repository_selection: 'all',
    };
    return { status: 201, body };
  }

  function credentialOf(request: SimRequest): string | undefined {
    return /^(?:token|bearer)\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
  }

  return async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://github-sim.invalid');
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text.length > 0 ? text : undefined;
    try {
      if (text.length > 0) body = JSON.parse(text);
    } catch {
      // Kept as text: GitHub answers 400 "Problems parsing JSON" for writes; routes see no object.
    }
    const record: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      route: undefined,
      status: 0,
      at: deps.now(),
    };
    deps.requests.push(record);
    const request: SimRequest = {
      method: record.method,
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
      params: {},
    };
    let response: SimResponse;
    const caller = { identity: 'anonymous' };
    let identity = 'anonymous';
    try {
      [response, identity] = await dispatch(request, record, caller);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      if (cause instanceof OpenApiMismatch) deps.schemaViolations.push(message);
      console.error(`github-sim: ${message}`);
      response = error(500, `github-sim bug: ${message}`);
      identity = caller.identity;
    }
    record.status = response.status;
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      ...quotaHeaders(identity, true),
      ...response.headers,
    };
    if (response.raw) {
      outgoing.writeHead(response.status, { 'content-length': String(response.raw.length), ...headers });
      outgoing.end(response.raw);
      return;
    }
    if (response.body === undefined) {
      outgoing.writeHead(response.status, headers);
      outgoing.end();
      return;
    }
    const json = JSON.stringify(response.body);
    outgoing.writeHead(response.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(json)),
      ...headers,
    });
    outgoing.end(json);
  };
}
