import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseApiPath } from './api-path.ts';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  type DiscoveryOptions,
  serverVersion,
} from './discovery.ts';
import type { Faults } from './faults.ts';
import { sendError, sendJson } from './http-io.ts';
import { pathNotFound, serviceUnavailable, unauthorized } from './kube-status.ts';
import { openApiResponse } from './openapi.ts';
import type { LoggedRequest, RequestLog } from './request-log.ts';
import { handleResource, type RouteContext } from './resource-routes.ts';

export interface HandlerContext extends RouteContext {
  token: string;
  faults: Faults;
  requests: RequestLog;
  discovery: () => DiscoveryOptions;
}

/** The API server's front door: authentication, request log, injected faults, then routing. */
export function createHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, ctx).catch((err: unknown) => sendError(res, err));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const method = req.method ?? 'GET';
  const api = parseApiPath(method, url.pathname, url.searchParams);
  const entry: LoggedRequest = {
    method,
    path: url.pathname,
    query: url.search,
    verb: api?.verb ?? method.toLowerCase(),
  };
  if (api !== undefined) {
    entry.resource = api.type.plural;
    if (api.subresource !== undefined) entry.subresource = api.subresource;
    if (api.namespace !== undefined) entry.namespace = api.namespace;
  }
  if (req.headers['user-agent'] !== undefined) entry.userAgent = req.headers['user-agent'];
  ctx.requests.add(entry);
  res.on('finish', () => {
    entry.status = res.statusCode;
  });
  if (req.headers.authorization !== `Bearer ${ctx.token}`) {
    entry.status = 401;
    throw unauthorized();
  }
  const delay = ctx.faults.latencyFor(entry);
  if (delay > 0) await sleep(delay);
  const failure = ctx.faults.takeFailure(entry);
  if (failure !== undefined) throw failure;
  const discovery = ctx.discovery();
  const path = url.pathname.replace(/\/$/, '') || '/';
  if (method === 'GET') {
    if (path === '/version') return sendJson(res, 200, serverVersion);
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path === '/api') return sendJson(res, 200, apiVersions(discovery));
    if (path === '/apis') return sendJson(res, 200, apiGroupList(discovery));
    if (path.startsWith('/openapi/')) {
      const doc = openApiResponse(path, discovery);
      if (doc === undefined) return unmatched(entry);
      return sendJson(res, 200, doc);
    }
    const seg = path.split('/').filter(Boolean);
    if (seg[0] === 'api' && seg.length === 2) {
      return sendDiscovery(res, apiResourceList('', seg[1] ?? '', discovery));
    }
    if (seg[0] === 'apis' && seg.length === 2) return sendDiscovery(res, apiGroup(seg[1] ?? '', discovery));
    if (seg[0] === 'apis' && seg.length === 3) {
      return sendDiscovery(res, apiResourceList(seg[1] ?? '', seg[2] ?? '', discovery));
    }
  }
  if (api === undefined) return unmatched(entry);
  if (api.group === 'metrics.k8s.io' && !discovery.metricsAvailable) throw pathNotFound();
  if (api.group === 'metrics.k8s.io' && ctx.metrics.enabled === false)
    throw serviceUnavailable('the server is currently unable to handle the request');
  await handleResource(req, res, api, url.searchParams, ctx);
}

function unmatched(entry: LoggedRequest): never {
  entry.unmatched = true;
  throw pathNotFound();
}

/** A group or version nobody serves is a plain 404, as from a real API server (clients probe for them). */
function sendDiscovery(res: ServerResponse, body: unknown): void {
  if (body === undefined) throw pathNotFound();
  sendJson(res, 200, body);
}
