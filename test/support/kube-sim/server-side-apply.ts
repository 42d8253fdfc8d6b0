import {
  describePath,
  type FieldSet,
  fieldSetOf,
  fromFieldsV1,
  removeAt,
  toFieldsV1,
  valueAt,
} from './field-set.ts';
import {
  clone,
  isJsonObject,
  type KubeObject,
  type ManagedFieldsEntry,
  stableStringify,
} from './kube-object.ts';
import { KubeStatusError, type StatusCause } from './kube-status.ts';
import { itemKey, listKeys } from './list-keys.ts';
import { timestamp } from './object-store.ts';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
}

/**
 * Server-side apply: merges the applied configuration into the live object, records that `manager`
 * owns exactly the applied fields, removes fields it owned before and no longer applies (unless someone
 * else owns them), and refuses with 409 when another manager owns a field the apply would change.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  const appliedSet = fieldSetOf(applied);
  const entry = (): ManagedFieldsEntry => ({
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    time: timestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(appliedSet),
  });
  if (live === undefined) {
    const created = clone(applied);
    created.metadata.managedFields = [entry()];
    return created;
  }
  const others: { entry: ManagedFieldsEntry; set: FieldSet }[] = [];
  let previous: FieldSet = new Set();
  for (const e of live.metadata.managedFields ?? []) {
    const set = fromFieldsV1(e.fieldsV1);
    if (e.manager === opts.manager && e.operation === 'Apply') previous = set;
    else others.push({ entry: e, set });
  }
  const causes: StatusCause[] = [];
  const conflictsBy = new Map<ManagedFieldsEntry, string[]>();
  for (const other of others) {
    for (const path of appliedSet) {
      if (!other.set.has(path)) continue;
      const elems = JSON.parse(path) as string[];
      if (elems.at(-1) === '.') continue;
      if (stableStringify(valueAt(live, elems)) === stableStringify(valueAt(applied, elems))) continue;
      if (opts.force) {
        other.set.delete(path);
        continue;
      }
      const list = conflictsBy.get(other.entry) ?? [];
      list.push(describePath(elems));
      conflictsBy.set(other.entry, list);
      causes.push({
        type: 'FieldManagerConflict',
        message: conflictWith(other.entry),
        field: describePath(elems),
      });
    }
  }
  if (causes.length > 0) throw conflictError(conflictsBy, causes.length);

  const merged = applyMerge(stripManaged(live), applied, '') as KubeObject;
  merged.metadata = { ...live.metadata, ...merged.metadata };
  const ownedByOthers = new Set(others.flatMap((o) => [...o.set]));
  for (const path of previous) {
    if (!appliedSet.has(path) && !ownedByOthers.has(path)) removeAt(merged, JSON.parse(path) as string[]);
  }
  const kept = others.filter((o) => o.set.size > 0).map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.set) }));
  merged.metadata.managedFields = [...kept, entry()];
  return merged;
}

/** Records an Update operation: `manager` takes ownership of every field it changed. */
export function trackUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  apiVersion: string,
  subresource?: string,
): ManagedFieldsEntry[] {
  const nextSet = fieldSetOf(next);
  const changed = [...nextSet].filter((path) => {
    if (old === undefined) return true;
    const elems = JSON.parse(path) as string[];
    return stableStringify(valueAt(old, elems)) !== stableStringify(valueAt(next, elems));
  });
  const entries = old?.metadata.managedFields ?? [];
  const out: ManagedFieldsEntry[] = [];
  let mine: FieldSet = new Set();
  for (const e of entries) {
    const set = new Set([...fromFieldsV1(e.fieldsV1)].filter((p) => nextSet.has(p)));
    const isMine = e.manager === manager && e.operation === 'Update' && e.subresource === subresource;
    if (isMine) {
      mine = set;
      continue;
    }
    for (const p of changed) set.delete(p);
    if (set.size > 0) out.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  for (const p of changed) mine.add(p);
  if (mine.size > 0) {
    const entry: ManagedFieldsEntry = {
      manager,
      operation: 'Update',
      apiVersion,
      time: timestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(mine),
    };
    if (subresource !== undefined) entry.subresource = subresource;
    out.push(entry);
  }
  return out;
}

function stripManaged(obj: KubeObject): KubeObject {
  const copy = clone(obj);
  delete copy.metadata.managedFields;
  return copy;
}

function conflictWith(e: ManagedFieldsEntry): string {
  const sub = e.subresource === undefined ? '' : ` with subresource "${e.subresource}"`;
  return `conflict with "${e.manager}"${sub} using ${e.apiVersion}`;
}

function conflictError(by: Map<ManagedFieldsEntry, string[]>, count: number): KubeStatusError {
  const parts = [...by.entries()].map(([e, fields]) =>
    fields.length === 1
      ? `${conflictWith(e)}: ${fields[0]}`
      : `${conflictWith(e).replace('conflict with', 'conflicts with')}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
  );
  const message = `Apply failed with ${count} conflict${count === 1 ? '' : 's'}: ${parts.join('\n')}`;
  const causes = [...by.entries()].flatMap(([e, fields]) =>
    fields.map((f) => ({ type: 'FieldManagerConflict', message: conflictWith(e), field: f })),
  );
  return new KubeStatusError(409, 'Conflict', message, { causes });
}

/** Merges an applied configuration into an object: maps recurse, keyed lists merge by key, the rest replaces. */
function applyMerge(live: unknown, applied: unknown, name: string): unknown {
  if (Array.isArray(applied)) {
    const keys = listKeys(name, applied);
    if (keys === undefined || !Array.isArray(live)) return clone(applied);
    const out = [...live];
    for (const item of applied) {
      const key = itemKey(keys, item);
      const index = out.findIndex((l) => key !== undefined && itemKey(keys, l) === key);
      if (index >= 0) out[index] = applyMerge(out[index], item, '');
      else out.push(clone(item));
    }
    return out;
  }
  if (!isJsonObject(applied)) return applied;
  const out: Record<string, unknown> = isJsonObject(live) ? { ...live } : {};
  for (const [key, value] of Object.entries(applied)) out[key] = applyMerge(out[key], value, key);
  return out;
}
