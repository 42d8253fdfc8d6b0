import { parse as parseYaml } from 'yaml';
import { JsonPatchError, jsonPatch } from './json-patch.ts';
import { isJsonObject, type KubeObject } from './kube-object.ts';
import { badRequest, KubeStatusError, unsupportedMediaType } from './kube-status.ts';
import { mergePatch, strategicMergePatch } from './merge-patch.ts';

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

export function patchKind(contentType: string | undefined): PatchKind {
  const ct = (contentType ?? '').split(';')[0]?.trim();
  switch (ct) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
      return 'apply';
    default:
      throw unsupportedMediaType(ct ?? '');
  }
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the object provided is unrecognized (must be of type json): ${(err as Error).message}`);
  }
}

/** Parses an apply patch (YAML or JSON) into an object with apiVersion, kind and metadata. */
export function parseApplyBody(text: string): KubeObject {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (!isJsonObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') {
    throw badRequest('invalid object: apiVersion and kind must be set');
  }
  if (!isJsonObject(value.metadata)) value.metadata = {};
  return value as unknown as KubeObject;
}

/** Applies a JSON, merge or strategic merge patch to an object. */
export function applyPatch(kind: Exclude<PatchKind, 'apply'>, target: KubeObject, text: string): KubeObject {
  const patch = parseJsonBody(text);
  try {
    const out =
      kind === 'json'
        ? jsonPatch(target, patch)
        : kind === 'merge'
          ? mergePatch(target, patch)
          : strategicMergePatch(target, patch);
    if (!isJsonObject(out) || !isJsonObject(out.metadata))
      throw badRequest('patch removed the object metadata');
    return out as unknown as KubeObject;
  } catch (err) {
    if (err instanceof JsonPatchError) {
      throw new KubeStatusError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${err.message}`,
      );
    }
    throw err;
  }
}
