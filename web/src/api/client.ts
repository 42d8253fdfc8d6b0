import createClient, { type Middleware } from 'openapi-fetch';
import type { operations, paths } from './schema';

type Json<O extends keyof operations, S extends number> =
  operations[O]['responses'] extends Record<S, { content: { 'application/json': infer T } }> ? T : never;

export type Me = Json<'getMe', 200>;
export type EnvironmentPage = Json<'listEnvironments', 200>;
export type EnvironmentView = EnvironmentPage['items'][number];
export type EnvironmentDetail = Json<'getEnvironment', 200>;
export type DeploymentView = EnvironmentDetail['deployments'][number];
export type EventView = Json<'listEnvironmentEvents', 200>['items'][number];
export type Phase = EnvironmentView['phase'];
export type GithubAppView = Json<'getGithubApp', 200>;
export type RepoView = Json<'listRepos', 200>['items'][number];
export type ListQuery = NonNullable<operations['listEnvironments']['parameters']['query']>;

/** An error answer of the API, with its code and the message it gave. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The CSRF token of the session, kept in memory only (from /api/v1/me or the sign-in answer). */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

let onUnauthorized: () => void = () => {};
/** What to do when the session has expired or is missing (go to sign-in and come back). */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && csrfToken !== null) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(session);

/** The data of an openapi-fetch answer, or an ApiError with the server's message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const body = result.error as { error?: { code?: string; message?: string } } | undefined;
  throw new ApiError(
    result.response.status,
    body?.error?.code ?? 'ERROR',
    body?.error?.message ?? `The server answered ${result.response.status}.`,
  );
}

/** Sign-in routes live outside /api/v1 (they make the session the API then uses). */
export async function postAuth(path: '/auth/token' | '/auth/logout', body: unknown): Promise<unknown> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string };
    csrfToken?: string;
  };
  if (!response.ok)
    throw new ApiError(
      response.status,
      answer.error?.code ?? 'ERROR',
      answer.error?.message ?? `The server answered ${response.status}.`,
    );
  if (typeof answer.csrfToken === 'string') setCsrfToken(answer.csrfToken);
  return answer;
}

export async function signInMethods(): Promise<{ github: boolean; token: boolean }> {
  const response = await fetch('/auth/methods', { credentials: 'same-origin' });
  return (await response.json()) as { github: boolean; token: boolean };
}
