import type { SimRepo, SimState } from './sim-state.ts';

/** A route of the simulated REST API, written with the path template of GitHub's OpenAPI description. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  params: Record<string, string>;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface SimContext {
  state: SimState;
  /** Base URL of the simulator, as clients use it (GITHUB_API_URL). */
  api: string;
  /** Set on repository routes once the installation token was checked. */
  repo: SimRepo;
  /** Issues a one-time URL (on the simulator) to download an archive, like codeload.github.com. */
  downloadUrl: (archive: Buffer, filename: string) => string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  template: string;
  /** `installation`: a repo route checked against the installation token; `none`: no auth. */
  auth: 'installation' | 'none';
  handle: (request: SimRequest, context: SimContext) => SimResponse | Promise<SimResponse>;
}

export function routeKey(route: Pick<Route, 'method' | 'template'>): string {
  return `${route.method} ${route.template}`;
}

/** Matches a concrete path against a template; `{path}` and `{ref}` of archives may span slashes. */
export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const source = template
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{([a-z_]+)\}/g, (_, name: string) => {
      names.push(name);
      return name === 'path' || template.includes('/tarball/') ? '(.+)' : '([^/]+)';
    });
  const match = new RegExp(`^${source}$`).exec(path);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  names.forEach((name, index) => {
    params[name] = decodeURIComponent(match[index + 1] ?? '');
  });
  return params;
}

export function error(status: number, message: string, extra: Record<string, unknown> = {}): SimResponse {
  return {
    status,
    body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra },
  };
}

export const notFound = (): SimResponse => error(404, 'Not Found');

/** GitHub-style page of a list with a Link header (rel next, last, first, prev). */
export function paginate<T>(
  items: readonly T[],
  request: SimRequest,
  api: string,
): { page: T[]; link?: string } {
  const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page')) || 30));
  const page = Math.max(1, Number(request.query.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const url = (n: number) => {
    const query = new URLSearchParams(request.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${api}${request.path}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${url(page - 1)}; rel="prev"`);
  if (page < last) links.push(`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`);
  if (page > 1) links.push(`${url(1)}; rel="first"`);
  return links.length > 0 ? { page: slice, link: links.join(', ') } : { page: slice };
}

export function withLink(body: unknown, link: string | undefined): SimResponse {
  return link ? { status: 200, body, headers: { link } } : { status: 200, body };
}

export function stringField(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export function field(body: unknown, name: string): unknown {
  if (body === null || typeof body !== 'object') return undefined;
  return (body as Record<string, unknown>)[name];
}
