import { isJsonObject } from './kube-object.ts';
import { itemKey, listKeys } from './list-keys.ts';

/** RFC 7386 JSON merge patch: objects merge, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const out: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Strategic merge patch, simplified: like a merge patch, but lists with merge keys (containers by
 * name, ports by port) merge element by element, and `$patch: delete` removes an element.
 */
export function strategicMergePatch(target: unknown, patch: unknown, name = ''): unknown {
  if (Array.isArray(patch)) return mergeList(target, patch, name);
  if (!isJsonObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  const out: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys') continue;
    if (value === null) delete out[key];
    else out[key] = strategicMergePatch(out[key], value, key);
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], name: string): unknown {
  const keys = listKeys(name, patch);
  if (keys === undefined || !Array.isArray(target)) return patch;
  const out = [...target];
  for (const item of patch) {
    const key = itemKey(keys, item);
    const index = key === undefined ? -1 : out.findIndex((t) => itemKey(keys, t) === key);
    if (isJsonObject(item) && item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = strategicMergePatch(out[index], item);
    else out.push(item);
  }
  return out;
}
