import { randomUUID } from 'node:crypto';
import { clone, type KubeObject } from './kube-object.ts';
import { type ResourceType, typeKey } from './resource-types.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  rv: number;
  object: KubeObject;
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

/**
 * Objects by resource type, one global resourceVersion counter like etcd's revision, and a bounded
 * history of changes so a watch can resume from a recent resourceVersion (older ones are Expired).
 */
export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** The same objects by type and namespace, so per-namespace reads need not walk every namespace. */
  private readonly byNamespace = new Map<string, Map<string, Map<string, KubeObject>>>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly historyLimit: number;
  /** The oldest resourceVersion a watch may still resume from. */
  private oldestResumable = 1;

  constructor(historyLimit: number) {
    this.historyLimit = historyLimit;
  }

  get currentRevision(): number {
    return this.revision;
  }

  get oldestRevision(): number {
    return this.oldestResumable;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.bucket(type).get(objectKey(namespace, name));
    return obj === undefined ? undefined : clone(obj);
  }

  /** The stored object itself, not a copy, for reads; callers must not modify it. */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(type).get(objectKey(namespace, name));
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    const out = this.scan(type, namespace).map(clone);
    return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /**
   * The stored objects themselves, not copies, for controllers that only read them: far cheaper than `list`
   * with thousands of objects. Callers must not modify what they get; unsorted.
   */
  scan(type: ResourceType, namespace?: string): KubeObject[] {
    const objects = namespace === undefined ? this.bucket(type) : this.namespaceBucket(type, namespace);
    return [...objects.values()];
  }

  /** Stores a new object, assigning uid, creationTimestamp and resourceVersion. */
  insert(type: ResourceType, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    stored.metadata.uid = stored.metadata.uid || randomUUID();
    stored.metadata.creationTimestamp = stored.metadata.creationTimestamp || timestamp();
    stored.metadata.resourceVersion = String(++this.revision);
    this.bucket(type).set(objectKey(stored.metadata.namespace, stored.metadata.name), stored);
    this.namespaceBucket(type, stored.metadata.namespace).set(stored.metadata.name, stored);
    this.record({ type: 'ADDED', resource: type, rv: this.revision, object: clone(stored) });
    return clone(stored);
  }

  /** Replaces an existing object and gives it a new resourceVersion. */
  replace(type: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const previous = this.bucket(type).get(key);
    if (previous === undefined) throw new Error(`replace of missing ${type.plural} ${key}`);
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.revision);
    this.bucket(type).set(key, stored);
    this.namespaceBucket(type, stored.metadata.namespace).set(stored.metadata.name, stored);
    this.record({ type: 'MODIFIED', resource: type, rv: this.revision, object: clone(stored), previous });
    return clone(stored);
  }

  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const previous = this.bucket(type).get(key);
    if (previous === undefined) return undefined;
    this.bucket(type).delete(key);
    this.namespaceBucket(type, namespace).delete(name);
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(++this.revision);
    this.record({ type: 'DELETED', resource: type, rv: this.revision, object: gone, previous });
    return clone(gone);
  }

  /** Events after `rv` for one type, or undefined when `rv` is older than the retained history. */
  eventsSince(type: ResourceType, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResumable - 1) return undefined;
    const key = typeKey(type);
    return this.history.filter((e) => e.rv > rv && typeKey(e.resource) === key);
  }

  /** Forgets the change history, as an etcd compaction does: older resourceVersions become Expired. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.revision + 1;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      const last = dropped.at(-1);
      if (last !== undefined) this.oldestResumable = last.rv + 1;
    }
    for (const listener of this.listeners) listener(event);
  }

  private namespaceBucket(type: ResourceType, namespace: string | undefined): Map<string, KubeObject> {
    let namespaces = this.byNamespace.get(typeKey(type));
    if (namespaces === undefined) {
      namespaces = new Map();
      this.byNamespace.set(typeKey(type), namespaces);
    }
    let bucket = namespaces.get(namespace ?? '');
    if (bucket === undefined) {
      bucket = new Map();
      namespaces.set(namespace ?? '', bucket);
    }
    return bucket;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let bucket = this.objects.get(key);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
