import type { ServerResponse } from 'node:http';
import type { KubeObject } from './kube-object.ts';
import { expired } from './kube-status.ts';
import type { ObjectStore, StoreEvent } from './object-store.ts';
import { apiVersionOf, type ResourceType, typeKey } from './resource-types.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { toTable } from './table-view.ts';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  labelSelector: string | null;
  fieldSelector: string | null;
  resourceVersion: string | null;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  table: boolean;
  includeObject: string | null;
}

export interface WatchContext {
  store: ObjectStore;
  bookmarkIntervalMs: number;
  openWatches: Set<ServerResponse>;
}

/**
 * Streams watch events as newline-delimited JSON: the initial state for resourceVersion "" or "0",
 * changes after a given resourceVersion, an ERROR event with a 410 Expired Status when that version
 * is no longer in the history, periodic BOOKMARKs when asked for, and an end after timeoutSeconds.
 */
export function serveWatch(res: ServerResponse, w: WatchRequest, ctx: WatchContext): void {
  const labels = parseLabelSelector(w.labelSelector);
  const fields = parseFieldSelector(w.fieldSelector);
  const visible = (o: KubeObject | undefined): boolean =>
    o !== undefined &&
    (w.namespace === undefined || o.metadata.namespace === w.namespace) &&
    labels(o.metadata.labels ?? {}) &&
    fields(o);
  res.writeHead(200, {
    'content-type': 'application/json',
    'transfer-encoding': 'chunked',
    'cache-control': 'no-cache',
  });
  res.flushHeaders();
  let headersSent = false;
  const write = (type: string, object: unknown): void => {
    if (res.writableEnded || res.destroyed) return;
    let payload = object;
    if (w.table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const obj = object as KubeObject;
      payload = toTable(w.type.kind, [obj], obj.metadata.resourceVersion, w.includeObject, !headersSent);
      headersSent = true;
    }
    res.write(`${JSON.stringify({ type, object: payload })}\n`);
  };
  let lastRv = 0;
  const pending: StoreEvent[] = [];
  let live = false;
  const deliver = (e: StoreEvent): void => {
    if (e.rv <= lastRv) return;
    lastRv = e.rv;
    const now = visible(e.object);
    const before = e.type === 'MODIFIED' && visible(e.previous);
    if (e.type === 'DELETED') {
      if (visible(e.object) || visible(e.previous)) write('DELETED', e.object);
    } else if (e.type === 'ADDED') {
      if (now) write('ADDED', e.object);
    } else if (now && before) write('MODIFIED', e.object);
    else if (now) write('ADDED', e.object);
    else if (before) write('DELETED', e.object);
  };
  const unsubscribe = ctx.store.subscribe((e) => {
    if (typeKey(e.resource) !== typeKey(w.type)) return;
    if (live) deliver(e);
    else pending.push(e);
  });
  const rv = w.resourceVersion ?? '';
  if (rv === '' || rv === '0' || w.sendInitialEvents) {
    lastRv = ctx.store.currentRevision;
    for (const obj of ctx.store.list(w.type, w.namespace)) if (visible(obj)) write('ADDED', obj);
    if (w.sendInitialEvents && w.allowBookmarks) write('BOOKMARK', bookmark(w.type, lastRv, true));
  } else {
    const since = Number(rv);
    const backlog = Number.isFinite(since) ? ctx.store.eventsSince(w.type, since) : undefined;
    if (backlog === undefined) {
      const err = expired(`too old resource version: ${rv} (${ctx.store.oldestRevision})`);
      write('ERROR', err.body);
      unsubscribe();
      res.end();
      return;
    }
    lastRv = since;
    for (const e of backlog) deliver(e);
  }
  live = true;
  for (const e of pending.splice(0)) deliver(e);
  lastRv = Math.max(lastRv, ctx.store.currentRevision);
  ctx.openWatches.add(res);
  const timers: NodeJS.Timeout[] = [];
  if (w.allowBookmarks) {
    timers.push(
      setInterval(
        () => write('BOOKMARK', bookmark(w.type, Math.max(lastRv, ctx.store.currentRevision), false)),
        ctx.bookmarkIntervalMs,
      ),
    );
  }
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) {
    timers.push(setTimeout(() => res.end(), w.timeoutSeconds * 1000));
  }
  const cleanup = (): void => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    ctx.openWatches.delete(res);
  };
  res.on('close', cleanup);
  res.on('finish', cleanup);
}

function bookmark(type: ResourceType, rv: number, initialEnd: boolean): unknown {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: type.kind, apiVersion: apiVersionOf(type), metadata };
}
