import { randomBytes } from 'node:crypto';
import { admitNamespace, applyLimitRanges, enforceQuota } from './admission.ts';
import { applyDefaults } from './defaults.ts';
import { clone, isJsonObject, type KubeObject, stableStringify } from './kube-object.ts';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './kube-status.ts';
import type { ObjectStore } from './object-store.ts';
import { applyPatch, parseApplyBody, parseJsonBody, patchKind } from './patch-body.ts';
import { apiVersionOf, type ResourceType } from './resource-types.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { serverSideApply, trackUpdate } from './server-side-apply.ts';
import { validate } from './validation.ts';

export interface WriteOptions {
  manager: string;
  dryRun?: boolean;
  subresource?: string;
  force?: boolean;
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  return [...randomBytes(length)].map((b) => nameAlphabet[b % nameAlphabet.length]).join('');
}

/** What the API server does with a request once routed: defaulting, validation, admission, storage. */
export class KubeApi {
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(type, namespace, name);
    if (obj === undefined) throw notFound(type, name);
    return obj;
  }

  list(type: ResourceType, namespace: string | undefined, opts: ListOptions = {}): KubeObject[] {
    const labels = parseLabelSelector(opts.labelSelector ?? null);
    const fields = parseFieldSelector(opts.fieldSelector ?? null);
    return this.store.list(type, namespace).filter((o) => labels(o.metadata.labels ?? {}) && fields(o));
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions): KubeObject {
    const obj = this.checkBody(type, namespace, body);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    }
    const managed = trackUpdate(undefined, obj, opts.manager, apiVersionOf(type));
    if (managed.length > 0) obj.metadata.managedFields = managed;
    else delete obj.metadata.managedFields;
    return this.insert(type, obj, opts);
  }

  /** Defaults, validates, admits and stores a new object whose managedFields are already set. */
  private insert(type: ResourceType, obj: KubeObject, opts: WriteOptions): KubeObject {
    for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'] as const)
      delete obj.metadata[key];
    if (type.hasStatus && type.kind !== 'Namespace') delete obj.status;
    obj.metadata.generation = 1;
    applyDefaults(type, obj);
    const causes = validate(type, obj);
    if (causes.length > 0) throw invalid(type, obj.metadata.name, causes);
    admitNamespace(this.store, type, obj);
    if (type.kind === 'Pod') applyLimitRanges(this.store, obj);
    if (this.store.get(type, obj.metadata.namespace, obj.metadata.name) !== undefined) {
      throw alreadyExists(type, obj.metadata.name);
    }
    enforceQuota(this.store, type, obj);
    if (opts.dryRun) return obj;
    return this.store.insert(type, obj);
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions,
  ): KubeObject {
    const next = this.checkBody(type, namespace, body);
    checkNameMatchesUrl(next, name);
    return this.modify(type, this.get(type, namespace, name), next, opts);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string | undefined,
    text: string,
    opts: WriteOptions,
  ): KubeObject {
    const kind = patchKind(contentType);
    if (kind === 'apply') {
      if (!opts.manager) {
        throw badRequest(
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      const applied = parseApplyBody(text);
      if (applied.apiVersion !== apiVersionOf(type) || applied.kind !== type.kind) {
        throw badRequest(
          `the API version in the data (${applied.apiVersion}) does not match the expected API version (${apiVersionOf(type)})`,
        );
      }
      if (applied.metadata.name === undefined) applied.metadata.name = name;
      checkNameMatchesUrl(applied, name);
      if (type.namespaced) applied.metadata.namespace = namespace ?? '';
      const existing = this.store.get(type, namespace, name);
      const merged = serverSideApply(existing, applied, {
        manager: opts.manager,
        force: opts.force ?? false,
        apiVersion: apiVersionOf(type),
      });
      if (existing === undefined) return this.insert(type, merged, opts);
      return this.replace(type, existing, merged, opts);
    }
    const existing = this.get(type, namespace, name);
    return this.modify(type, existing, applyPatch(kind, clone(existing), text), opts);
  }

  /** An update or a non-apply patch: refuses a stale resourceVersion, records the writer's fields, stores. */
  private modify(type: ResourceType, existing: KubeObject, next: KubeObject, opts: WriteOptions): KubeObject {
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== existing.metadata.resourceVersion) {
      throw conflict(
        type,
        existing.metadata.name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    next.metadata.managedFields = trackUpdate(
      existing,
      next,
      opts.manager,
      apiVersionOf(type),
      opts.subresource,
    );
    return this.replace(type, existing, next, opts);
  }

  /** Stores a changed object: keeps immutable metadata, routes status through /status, bumps generation. */
  private replace(
    type: ResourceType,
    existing: KubeObject,
    next: KubeObject,
    opts: WriteOptions,
  ): KubeObject {
    const keep = existing.metadata;
    next.metadata.uid = keep.uid;
    next.metadata.creationTimestamp = keep.creationTimestamp;
    next.metadata.resourceVersion = keep.resourceVersion;
    if (keep.deletionTimestamp !== undefined) next.metadata.deletionTimestamp = keep.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (type.hasStatus) {
      if (opts.subresource === 'status') {
        const status = next.status;
        const copy = clone(existing);
        copy.status = status;
        copy.metadata.managedFields = next.metadata.managedFields ?? [];
        next = copy;
      } else next.status = existing.status;
    }
    if (type.kind === 'Namespace' && opts.subresource !== 'finalize') next.spec = existing.spec;
    next.metadata.generation = keep.generation ?? 1;
    if (specOf(next) !== specOf(existing)) next.metadata.generation = (keep.generation ?? 1) + 1;
    applyDefaults(type, next);
    const causes = validate(type, next);
    if (causes.length > 0) throw invalid(type, next.metadata.name, causes);
    if (opts.dryRun) return next;
    if (
      next.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !hasSpecFinalizers(next)
    ) {
      return this.store.remove(type, next.metadata.namespace, next.metadata.name) ?? next;
    }
    return this.store.replace(type, next);
  }

  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    const value = typeof body === 'string' ? parseJsonBody(body) : body;
    if (!isJsonObject(value))
      throw badRequest('the object provided is unrecognized (must be of type object)');
    const obj = clone(value) as unknown as KubeObject;
    if (!isJsonObject(obj.metadata)) obj.metadata = { name: '' } as KubeObject['metadata'];
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(`the object provided is unrecognized (kind ${String(obj.kind)} is not ${type.kind})`);
    }
    obj.kind = type.kind;
    obj.apiVersion = apiVersionOf(type);
    if (type.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace ?? '';
    } else delete obj.metadata.namespace;
    obj.metadata.name ??= '';
    return obj;
  }
}

function checkNameMatchesUrl(obj: KubeObject, name: string): void {
  if (obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
}

function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return stableStringify(rest);
}

export function hasSpecFinalizers(o: KubeObject): boolean {
  const spec = o.spec;
  return isJsonObject(spec) && Array.isArray(spec.finalizers) && spec.finalizers.length > 0;
}
