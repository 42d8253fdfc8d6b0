import { isJsonObject, type JsonObject } from './kube-object.ts';
import { itemKey, listKeys } from './list-keys.ts';

/**
 * A set of field paths, each a JSON array of managedFields path elements (`f:spec`, `k:{"name":"a"}`,
 * and `.` for "this list element itself"). Converts to and from the `fieldsV1` tree format.
 */
export type FieldSet = Set<string>;

const untracked = new Set(['apiVersion', 'kind', 'status']);
const untrackedMeta = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Every leaf field of an object, as a field set. */
export function fieldSetOf(obj: unknown): FieldSet {
  const out: FieldSet = new Set();
  if (!isJsonObject(obj)) return out;
  for (const [key, value] of Object.entries(obj)) {
    if (untracked.has(key)) continue;
    if (key === 'metadata' && isJsonObject(value)) {
      for (const [mk, mv] of Object.entries(value)) {
        if (!untrackedMeta.has(mk)) walk(mv, mk, ['f:metadata', `f:${mk}`], out);
      }
    } else walk(value, key, [`f:${key}`], out);
  }
  return out;
}

function walk(value: unknown, name: string, path: string[], out: FieldSet): void {
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(v, k, [...path, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value)) {
    const keys = listKeys(name, value);
    const itemKeys = keys === undefined ? undefined : value.map((item) => itemKey(keys, item));
    if (keys !== undefined && itemKeys?.every((k) => k !== undefined)) {
      value.forEach((item, i) => {
        const elem = [...path, itemKeys[i] ?? ''];
        out.add(JSON.stringify([...elem, '.']));
        if (isJsonObject(item))
          for (const [k, v] of Object.entries(item)) walk(v, k, [...elem, `f:${k}`], out);
      });
      return;
    }
  }
  out.add(JSON.stringify(path));
}

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const entry of set) {
    let node = root;
    for (const elem of JSON.parse(entry) as string[]) {
      const next = node[elem];
      if (isJsonObject(next)) node = next;
      else {
        const child: JsonObject = {};
        node[elem] = child;
        node = child;
      }
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const visit = (node: unknown, path: string[]): void => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const key of keys) {
      if (key === '.') out.add(JSON.stringify([...path, '.']));
      else visit(node[key], [...path, key]);
    }
  };
  visit(tree, []);
  return out;
}

/** The value at a field path, or undefined; `.` yields the list element itself. */
export function valueAt(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  let name = '';
  for (const elem of path) {
    if (elem === '.') return cur;
    if (elem.startsWith('f:')) {
      name = elem.slice(2);
      cur = isJsonObject(cur) ? cur[name] : undefined;
    } else if (elem.startsWith('k:')) {
      const list = Array.isArray(cur) ? cur : [];
      const keys = listKeys(name, list) ?? [];
      cur = list.find((item) => itemKey(keys, item) === elem);
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Human form of a path for conflict messages: `.spec.template.spec.containers[name="app"].image`. */
export function describePath(path: string[]): string {
  let out = '';
  for (const elem of path) {
    if (elem.startsWith('f:')) out += `.${elem.slice(2)}`;
    else if (elem.startsWith('k:')) {
      const key = JSON.parse(elem.slice(2)) as Record<string, unknown>;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}

/** Removes the field at `path` from obj (a whole list element for a `.` path). */
export function removeAt(obj: unknown, path: string[]): void {
  const last = path.at(-1);
  const elemPath = last === '.' ? path.slice(0, -1) : path;
  const parentPath = elemPath.slice(0, -1);
  const tail = elemPath.at(-1);
  if (tail === undefined) return;
  const parent = valueAt(obj, parentPath);
  if (tail.startsWith('f:') && isJsonObject(parent)) {
    delete parent[tail.slice(2)];
    return;
  }
  if (tail.startsWith('k:')) {
    const listName = parentPath.at(-1)?.slice(2) ?? '';
    if (!Array.isArray(parent)) return;
    const list: unknown[] = parent;
    const keys = listKeys(listName, list) ?? [];
    const index = list.findIndex((item) => itemKey(keys, item) === tail);
    if (index >= 0) list.splice(index, 1);
  }
}
