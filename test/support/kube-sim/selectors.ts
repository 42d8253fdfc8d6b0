import { field, type KubeObject } from './kube-object.ts';
import { badRequest } from './kube-status.ts';

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = (labels: Record<string, string>) => boolean;

/** Parses the labelSelector query syntax: `a=b,c!=d,e in (f,g),h notin (i),j,!k`. */
export function parseLabelSelector(text: string | null): LabelSelector {
  if (text === null || text.trim() === '') return () => true;
  const reqs = splitTopLevel(text).map(parseRequirement);
  return (labels) => reqs.every((r) => matches(r, labels));
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur.trim());
  return parts;
}

function parseRequirement(part: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (set?.[1] !== undefined && set[3] !== undefined) {
    const values = set[3].split(',').map((v) => v.trim());
    return { op: set[2] === 'in' ? 'in' : 'notin', key: set[1], values };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (cmp?.[1] !== undefined && cmp[3] !== undefined) {
    return { op: cmp[2] === '!=' ? 'neq' : 'eq', key: cmp[1], value: cmp[3] };
  }
  if (/^![^\s!=]+$/.test(part)) return { op: 'notexists', key: part.slice(1) };
  if (/^[^\s!=()]+$/.test(part)) return { op: 'exists', key: part };
  throw badRequest(`unable to parse requirement: found '${part}', expected: label selector`);
}

function matches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return value === r.value;
    case 'neq':
      return value !== r.value;
    case 'in':
      return value !== undefined && r.values.includes(value);
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
  }
}

export type FieldSelector = (obj: KubeObject) => boolean;

/** Parses fieldSelector (`metadata.name=x,status.phase!=Running`), matching any dotted field path. */
export function parseFieldSelector(text: string | null): FieldSelector {
  if (text === null || text.trim() === '') return () => true;
  const reqs = text.split(',').map((part) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part.trim());
    if (m?.[1] === undefined || m[3] === undefined)
      throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { path: m[1].split('.'), negate: m[2] === '!=', value: m[3] };
  });
  return (obj) =>
    reqs.every((r) => {
      const actual = field(obj, ...r.path);
      const text = actual === undefined || actual === null ? '' : String(actual);
      return r.negate ? text !== r.value : text === r.value;
    });
}

/** Matches a LabelSelector object (`matchLabels`, `matchExpressions`) as used in workload specs. */
export function selectorObjectMatches(selector: unknown, labels: Record<string, string>): boolean {
  const matchLabels = field(selector, 'matchLabels');
  const exprs = field(selector, 'matchExpressions');
  if (matchLabels === undefined && exprs === undefined) return false;
  if (typeof matchLabels === 'object' && matchLabels !== null) {
    for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  }
  if (Array.isArray(exprs)) {
    for (const e of exprs) {
      const key = String(field(e, 'key'));
      const op = String(field(e, 'operator'));
      const values = (field(e, 'values') as unknown[] | undefined)?.map(String) ?? [];
      const v = labels[key];
      if (op === 'In' && (v === undefined || !values.includes(v))) return false;
      if (op === 'NotIn' && v !== undefined && values.includes(v)) return false;
      if (op === 'Exists' && v === undefined) return false;
      if (op === 'DoesNotExist' && v !== undefined) return false;
    }
  }
  return true;
}
