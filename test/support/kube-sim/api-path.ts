import { findType, type ResourceType } from './resource-types.ts';

export interface ApiPath {
  group: string;
  version: string;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** For proxy subresources: the path after `/proxy`. */
  rest: string;
  verb: string;
}

/** Parses /api/v1/... and /apis/{group}/{version}/... resource paths; undefined for anything else. */
export function parseApiPath(method: string, pathname: string, query: URLSearchParams): ApiPath | undefined {
  const seg = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg[1] !== undefined) {
    group = '';
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg[1] !== undefined && seg[2] !== undefined) {
    group = seg[1];
    version = seg[2];
    rest = seg.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...tail] = rest;
  if (plural === undefined) return undefined;
  const type = findType(group, version, plural);
  if (type === undefined) return undefined;
  const out: ApiPath = {
    group,
    version,
    type,
    rest: `/${tail.join('/')}`,
    verb: verbOf(method, name, query),
  };
  if (namespace !== undefined) out.namespace = namespace;
  if (name !== undefined) out.name = name;
  if (subresource !== undefined) out.subresource = subresource;
  return out;
}

function verbOf(method: string, name: string | undefined, query: URLSearchParams): string {
  const watch = query.get('watch');
  switch (method) {
    case 'GET':
      if (watch === 'true' || watch === '1') return 'watch';
      return name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}
