export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  /** The Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, or get for non-resource paths. */
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  status?: number;
  userAgent?: string;
  /** True when no route matched (the simulator answered 404 for an unknown path or resource). */
  unmatched?: boolean;
}

export interface RequestMatch {
  method?: string;
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  /** A path prefix, or a regular expression the path must match. */
  path?: string | RegExp;
}

export function matchesRequest(r: LoggedRequest, m: RequestMatch): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== r.method) return false;
  if (m.verb !== undefined && m.verb !== r.verb) return false;
  if (m.resource !== undefined && m.resource !== r.resource) return false;
  if (m.subresource !== undefined && m.subresource !== r.subresource) return false;
  if (m.namespace !== undefined && m.namespace !== r.namespace) return false;
  if (typeof m.path === 'string' && !r.path.startsWith(m.path)) return false;
  if (m.path instanceof RegExp && !m.path.test(r.path)) return false;
  return true;
}

/** Every request the simulator answered (a watch counts once, not per event). */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  count(match: RequestMatch = {}): number {
    return this.entries.filter((e) => matchesRequest(e, match)).length;
  }

  find(match: RequestMatch = {}): LoggedRequest[] {
    return this.entries.filter((e) => matchesRequest(e, match));
  }

  /** Requests for paths the simulator does not serve: a test can assert there were none. */
  unmatched(): LoggedRequest[] {
    return this.entries.filter((e) => e.unmatched === true);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
