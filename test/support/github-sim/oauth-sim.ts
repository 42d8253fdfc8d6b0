import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { userJson } from './fixtures.ts';
import { validateResponse } from './openapi-validator.ts';
import type { SimUser } from './sim-state.ts';

/**
 * GitHub's OAuth web flow and the user-token routes Glimpse reads at sign-in (`/user`,
 * `/user/installations`, `/user/memberships/orgs/{org}`). The "browser" is whoever the test signed in.
 */
export interface SimOAuth {
  setClient(clientId: string, clientSecret: string): void;
  /** The GitHub user the next /login/oauth/authorize approves as. */
  signIn(login: string): void;
  /** An installation of the App on an account (an organisation or a user). */
  addInstallation(installation: { id: number; account: string; type: 'Organization' | 'User' }): void;
  /** Makes `login` see the installation (GitHub lists installations whose account the user can access). */
  grantInstallation(login: string, installationId: number): void;
  setOrgRole(org: string, login: string, role: 'admin' | 'member'): void;
  userId(login: string): number;
  accountId(login: string): number;
}

export interface OAuthRoutes {
  api: SimOAuth;
  /** Answers the request when it is one of these routes; false otherwise. */
  handle(request: IncomingMessage, response: ServerResponse, baseUrl: string): Promise<boolean>;
}

export function createOAuthRoutes(options: {
  idOf: (login: string) => number;
  nowIso: () => string;
}): OAuthRoutes {
  let client = { id: 'Iv1.simclient', secret: 'sim-secret' };
  let signedIn: string | undefined;
  const codes = new Map<string, string>();
  const tokens = new Map<string, string>();
  const installations = new Map<number, { id: number; account: SimUser }>();
  const visible = new Map<string, Set<number>>();
  const orgRoles = new Map<string, 'admin' | 'member'>();
  const userOf = (login: string): SimUser => ({ login, id: 10_000 + options.idOf(login), type: 'User' });
  const accountOf = (login: string, type: 'Organization' | 'User'): SimUser =>
    type === 'User' ? userOf(login) : { login, id: 20_000 + options.idOf(login), type };

  function send(response: ServerResponse, status: number, body: unknown, template?: string) {
    if (template !== undefined && status === 200) validateResponse('GET', template, status, body);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  }

  const api: SimOAuth = {
    setClient(id, secret) {
      client = { id, secret };
    },
    signIn(login) {
      signedIn = login;
    },
    addInstallation(installation) {
      installations.set(installation.id, {
        id: installation.id,
        account: accountOf(installation.account, installation.type),
      });
    },
    grantInstallation(login, installationId) {
      const set = visible.get(login) ?? new Set();
      set.add(installationId);
      visible.set(login, set);
    },
    setOrgRole(org, login, role) {
      orgRoles.set(`${org}:${login}`.toLowerCase(), role);
    },
    userId: (login) => userOf(login).id,
    accountId: (login) => 20_000 + options.idOf(login),
  };

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    baseUrl: string,
  ): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    if (request.method === 'GET' && path === '/login/oauth/authorize') {
      if (url.searchParams.get('client_id') !== client.id || signedIn === undefined) {
        send(response, 404, { message: 'unknown client or nobody signed in' });
        return true;
      }
      const code = randomBytes(10).toString('hex');
      codes.set(code, signedIn);
      const target = new URL(url.searchParams.get('redirect_uri') ?? '');
      target.searchParams.set('code', code);
      target.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: target.toString() });
      response.end();
      return true;
    }
    if (request.method === 'POST' && path === '/login/oauth/access_token') {
      const body = await readBody(request);
      const login = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      if (body.client_id !== client.id || body.client_secret !== client.secret || login === undefined) {
        send(response, 200, {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        });
        return true;
      }
      const token = `ghu_${randomBytes(16).toString('hex')}`;
      tokens.set(token, login);
      send(response, 200, { access_token: token, token_type: 'bearer', scope: '' });
      return true;
    }
    if (request.method !== 'GET' || !(path === '/user' || path.startsWith('/user/'))) return false;
    const credential = /^(?:token|bearer)\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
    const login = credential === undefined ? undefined : tokens.get(credential);
    if (login === undefined) {
      send(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return true;
    }
    const at = options.nowIso();
    if (path === '/user') {
      send(
        response,
        200,
        {
          ...userJson(baseUrl, userOf(login)),
          name: login,
          company: null,
          blog: '',
          location: null,
          email: null,
          hireable: null,
          bio: null,
          public_repos: 0,
          public_gists: 0,
          followers: 0,
          following: 0,
          created_at: at,
          updated_at: at,
        },
        '/user',
      );
      return true;
    }
    if (path === '/user/installations') {
      const list = [...(visible.get(login) ?? [])].flatMap((id) => {
        const installation = installations.get(id);
        return installation === undefined ? [] : [installationJson(baseUrl, installation, at)];
      });
      send(response, 200, { total_count: list.length, installations: list }, '/user/installations');
      return true;
    }
    const org = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(path)?.[1];
    if (org !== undefined) {
      const role = orgRoles.get(`${org}:${login}`.toLowerCase());
      if (role === undefined) {
        send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        return true;
      }
      const orgUrl = `${baseUrl}/orgs/${org}`;
      send(
        response,
        200,
        {
          url: `${baseUrl}/orgs/${org}/memberships/${login}`,
          state: 'active',
          role,
          organization_url: orgUrl,
          organization: {
            login: org,
            id: api.accountId(org),
            node_id: Buffer.from(`0:Organization${api.accountId(org)}`).toString('base64url'),
            url: orgUrl,
            repos_url: `${orgUrl}/repos`,
            events_url: `${orgUrl}/events`,
            hooks_url: `${orgUrl}/hooks`,
            issues_url: `${orgUrl}/issues`,
            members_url: `${orgUrl}/members{/member}`,
            public_members_url: `${orgUrl}/public_members{/member}`,
            avatar_url: `https://avatars.githubusercontent.com/u/${api.accountId(org)}?v=4`,
            description: null,
          },
          user: userJson(baseUrl, userOf(login)),
        },
        '/user/memberships/orgs/{org}',
      );
      return true;
    }
    send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    return true;
  }

  return { api, handle };
}

function installationJson(baseUrl: string, installation: { id: number; account: SimUser }, at: string) {
  return {
    id: installation.id,
    account: userJson(baseUrl, installation.account),
    repository_selection: 'all',
    access_tokens_url: `${baseUrl}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${baseUrl}/installation/repositories`,
    html_url: `https://github.com/settings/installations/${installation.id}`,
    app_id: 4242,
    app_slug: 'glimpse',
    target_id: installation.account.id,
    target_type: installation.account.type,
    permissions: { pull_requests: 'write', contents: 'read' },
    events: ['pull_request'],
    created_at: at,
    updated_at: at,
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

/** The fields of a JSON or form-encoded request body (GitHub's web endpoints take either). */
export async function readBody(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (String(request.headers['content-type']).includes('json'))
    return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}
