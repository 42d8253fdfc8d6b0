import { clone, isJsonObject } from './kube-object.ts';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

export class JsonPatchError extends Error {}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new JsonPatchError('json patch must be an array of operations');
  let out = clone(doc);
  for (const raw of ops) {
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new JsonPatchError('invalid json patch operation');
    }
    const op: Operation = { op: raw.op, path: raw.path, value: raw.value };
    if (typeof raw.from === 'string') op.from = raw.from;
    out = applyOne(out, op);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(doc: unknown, parts: string[]): { parent: unknown; key: string } {
  let cur = doc;
  for (const part of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(part)] : isJsonObject(cur) ? cur[part] : undefined;
    if (cur === undefined) throw new JsonPatchError(`path ${parts.join('/')} does not exist`);
  }
  return { parent: cur, key: parts.at(-1) ?? '' };
}

function read(doc: unknown, path: string): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return doc;
  const { parent, key } = parentOf(doc, parts);
  const value = Array.isArray(parent) ? parent[Number(key)] : isJsonObject(parent) ? parent[key] : undefined;
  if (value === undefined) throw new JsonPatchError(`path ${path} does not exist`);
  return value;
}

function applyOne(doc: unknown, op: Operation): unknown {
  const parts = pointer(op.path);
  switch (op.op) {
    case 'test':
      if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(op.value)) {
        throw new JsonPatchError(`testing value ${op.path} failed`);
      }
      return doc;
    case 'remove':
      read(doc, op.path);
      return removeAt(doc, parts);
    case 'add':
      return addAt(doc, parts, clone(op.value), false);
    case 'replace':
      read(doc, op.path);
      return addAt(doc, parts, clone(op.value), true);
    case 'move': {
      const value = read(doc, op.from ?? '');
      return addAt(removeAt(doc, pointer(op.from ?? '')), parts, value, false);
    }
    case 'copy':
      return addAt(doc, parts, clone(read(doc, op.from ?? '')), false);
    default:
      throw new JsonPatchError(`unknown json patch operation ${op.op}`);
  }
}

function removeAt(doc: unknown, parts: string[]): unknown {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (isJsonObject(parent)) delete parent[key];
  return doc;
}

function addAt(doc: unknown, parts: string[], value: unknown, replace: boolean): unknown {
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else if (isJsonObject(parent)) {
    (parent as Record<string, unknown>)[key] = value;
  } else throw new JsonPatchError(`cannot add at ${parts.join('/')}`);
  return doc;
}
