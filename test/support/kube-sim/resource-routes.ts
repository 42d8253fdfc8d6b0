import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessRules } from './access-rules.ts';
import type { KubeApi, WriteOptions } from './api-core.ts';
import type { ApiPath } from './api-path.ts';
import { type DeleteOptions, deleteObject } from './deletion.ts';
import { accessReview, type MetricsControls, podMetrics, scaleOf, serviceProxy } from './extra-routes.ts';
import { readBody, sendJson } from './http-io.ts';
import type { ImageBehaviors } from './image-behaviors.ts';
import { isJsonObject, type KubeObject, objectField } from './kube-object.ts';
import { badRequest, methodNotAllowed, notFound } from './kube-status.ts';
import type { LogBook } from './log-book.ts';
import { parseJsonBody } from './patch-body.ts';
import { servePodLog } from './pod-log-route.ts';
import { apiVersionOf } from './resource-types.ts';
import { toTable, wantsTable } from './table-view.ts';
import { serveWatch } from './watch-stream.ts';

export interface RouteContext {
  api: KubeApi;
  access: AccessRules;
  images: ImageBehaviors;
  logs: LogBook;
  metrics: MetricsControls;
  bookmarkIntervalMs: number;
  openWatches: Set<ServerResponse>;
}

function managerOf(req: IncomingMessage, query: URLSearchParams): string {
  return query.get('fieldManager') ?? (req.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown';
}

function deleteOptions(body: string, query: URLSearchParams): DeleteOptions {
  const parsed = body.trim() === '' ? {} : parseJsonBody(body);
  const opts: DeleteOptions = {};
  const policy =
    (isJsonObject(parsed) ? parsed.propagationPolicy : undefined) ?? query.get('propagationPolicy');
  if (typeof policy === 'string') opts.propagationPolicy = policy;
  const grace =
    (isJsonObject(parsed) ? parsed.gracePeriodSeconds : undefined) ?? query.get('gracePeriodSeconds');
  if (grace !== null && grace !== undefined) opts.gracePeriodSeconds = Number(grace);
  if (isJsonObject(parsed) && isJsonObject(parsed.preconditions)) {
    opts.preconditions = parsed.preconditions as DeleteOptions['preconditions'] & object;
  }
  return opts;
}

function listResponse(p: ApiPath, items: KubeObject[], rv: string, query: URLSearchParams): unknown {
  const limit = Number(query.get('limit') ?? 0);
  const start = query.get('continue')
    ? Number(Buffer.from(query.get('continue') ?? '', 'base64url').toString())
    : 0;
  const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (limit > 0 && start + limit < items.length) {
    metadata.continue = Buffer.from(String(start + limit)).toString('base64url');
    metadata.remainingItemCount = items.length - start - limit;
  }
  return { kind: `${p.type.kind}List`, apiVersion: apiVersionOf(p.type), metadata, items: page };
}

/** Serves one resource request (CRUD, watch, subresources) after authentication and authorization. */
export async function handleResource(
  req: IncomingMessage,
  res: ServerResponse,
  p: ApiPath,
  query: URLSearchParams,
  ctx: RouteContext,
): Promise<void> {
  const { api } = ctx;
  const t = p.type;
  ctx.access.check({
    verb: p.verb,
    resource: t.plural,
    group: t.group,
    ...(p.namespace ? { namespace: p.namespace } : {}),
    ...(p.subresource ? { subresource: p.subresource } : {}),
    ...(p.name ? { name: p.name } : {}),
  });
  const body = req.method === 'GET' ? '' : await readBody(req);
  if (t.group === 'authorization.k8s.io') {
    if (req.method !== 'POST') throw methodNotAllowed();
    sendJson(res, 201, accessReview(parseJsonBody(body), ctx.access));
    return;
  }
  if (t.group === 'metrics.k8s.io') {
    if (t.plural !== 'pods') {
      sendJson(res, 200, {
        kind: 'NodeMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: [
          {
            kind: 'NodeMetrics',
            apiVersion: 'metrics.k8s.io/v1beta1',
            metadata: { name: 'sim-node-1' },
            timestamp: new Date().toISOString(),
            window: '15s',
            usage: { cpu: '250m', memory: '1Gi' },
          },
        ],
      });
      return;
    }
    podMetrics(res, api.store, ctx.metrics, p.namespace, p.name);
    return;
  }
  const ns = t.namespaced ? p.namespace : undefined;
  const table = wantsTable(req.headers.accept);
  const write: WriteOptions = { manager: managerOf(req, query), dryRun: query.get('dryRun') === 'All' };
  if (p.subresource !== undefined) write.subresource = p.subresource;
  if (query.get('force') === 'true') write.force = true;
  if (p.name === undefined) {
    if (p.verb === 'watch') {
      const timeout = query.get('timeoutSeconds');
      serveWatch(
        res,
        {
          type: t,
          namespace: ns,
          labelSelector: query.get('labelSelector'),
          fieldSelector: query.get('fieldSelector'),
          resourceVersion: query.get('resourceVersion'),
          allowBookmarks: query.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: query.get('sendInitialEvents') === 'true',
          timeoutSeconds: timeout === null ? undefined : Number(timeout),
          table,
          includeObject: query.get('includeObject'),
        },
        { store: api.store, bookmarkIntervalMs: ctx.bookmarkIntervalMs, openWatches: ctx.openWatches },
      );
      return;
    }
    if (p.verb === 'list') {
      const items = api.list(t, ns, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
      });
      const rv = String(api.store.currentRevision);
      sendJson(
        res,
        200,
        table ? toTable(t.kind, items, rv, query.get('includeObject')) : listResponse(p, items, rv, query),
      );
      return;
    }
    if (p.verb === 'create') {
      const created = api.create(t, ns, parseJsonBody(body), write);
      sendJson(res, 201, created);
      return;
    }
    if (p.verb === 'deletecollection') {
      const items = api.list(t, ns, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
      });
      const opts = deleteOptions(body, query);
      for (const item of items) deleteObject(api.store, t, ns, item.metadata.name, opts);
      sendJson(res, 200, listResponse(p, items, String(api.store.currentRevision), new URLSearchParams()));
      return;
    }
    throw methodNotAllowed();
  }
  const name = p.name;
  if (p.subresource === 'log' && t.plural === 'pods') {
    servePodLog(res, api.get(t, ns, name), query, ctx.logs);
    return;
  }
  if (p.subresource === 'proxy' && t.plural === 'services') {
    serviceProxy(res, req, api.store, ctx.images, ns ?? '', name, p.rest);
    return;
  }
  if (p.subresource === 'scale') {
    await handleScale(res, p, ns, name, body, req, write, ctx);
    return;
  }
  if (p.subresource !== undefined && p.subresource !== 'status' && p.subresource !== 'finalize')
    throw notFound(t, name);
  switch (p.verb) {
    case 'get': {
      const obj = api.get(t, ns, name);
      sendJson(
        res,
        200,
        table ? toTable(t.kind, [obj], obj.metadata.resourceVersion, query.get('includeObject')) : obj,
      );
      return;
    }
    case 'update':
      sendJson(res, 200, api.update(t, ns, name, parseJsonBody(body), write));
      return;
    case 'patch': {
      const existed = api.store.get(t, ns, name) !== undefined;
      const out = api.patch(t, ns, name, req.headers['content-type'], body, write);
      sendJson(res, existed ? 200 : 201, out);
      return;
    }
    case 'delete': {
      const result = deleteObject(api.store, t, ns, name, deleteOptions(body, query));
      if (result.pending) sendJson(res, 200, result.object);
      else {
        const details: Record<string, string> = { name, kind: t.plural, uid: result.object.metadata.uid };
        if (t.group) details.group = t.group;
        sendJson(
          res,
          200,
          t.kind === 'Pod'
            ? result.object
            : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
        );
      }
      return;
    }
    default:
      throw methodNotAllowed();
  }
}

async function handleScale(
  res: ServerResponse,
  p: ApiPath,
  ns: string | undefined,
  name: string,
  body: string,
  req: IncomingMessage,
  write: WriteOptions,
  ctx: RouteContext,
): Promise<void> {
  const obj = ctx.api.get(p.type, ns, name);
  if (p.verb === 'get') {
    sendJson(res, 200, scaleOf(obj));
    return;
  }
  let replicas: unknown;
  if (p.verb === 'update') replicas = objectField(parseJsonBody(body), 'spec').replicas;
  else if (p.verb === 'patch') {
    const patched = ctx.api.patch(
      p.type,
      ns,
      name,
      req.headers['content-type'] === 'application/json-patch+json'
        ? 'application/json-patch+json'
        : 'application/merge-patch+json',
      JSON.stringify(scalePatchToObjectPatch(body, req.headers['content-type'])),
      { ...write, subresource: 'scale' },
    );
    sendJson(res, 200, scaleOf(patched));
    return;
  } else throw methodNotAllowed();
  if (typeof replicas !== 'number') throw badRequest('spec.replicas must be a number');
  const next = { ...obj, spec: { ...objectField(obj, 'spec'), replicas } };
  sendJson(res, 200, scaleOf(ctx.api.update(p.type, ns, name, next, { ...write, subresource: 'scale' })));
}

function scalePatchToObjectPatch(body: string, contentType: string | undefined): unknown {
  const parsed = parseJsonBody(body);
  if (contentType === 'application/json-patch+json') return parsed;
  return { spec: { replicas: objectField(parsed, 'spec').replicas } };
}
