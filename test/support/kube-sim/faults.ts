import type { ServerResponse } from 'node:http';
import { KubeStatusError } from './kube-status.ts';
import { type LoggedRequest, matchesRequest, type RequestMatch } from './request-log.ts';

interface FailRule {
  match: RequestMatch;
  remaining: number;
  status: number;
}

/** Test-controlled misbehaviour: latency, failing requests, dropped watches, stuck namespaces. */
export class Faults {
  latencyMs = 0;
  private latencyMatch: RequestMatch = {};
  private readonly failRules: FailRule[] = [];
  readonly stuckNamespaces = new Set<string>();
  readonly openWatches = new Set<ServerResponse>();

  /** Delays every matching request (all requests when no match is given) by `ms`. */
  setLatency(ms: number, match: RequestMatch = {}): void {
    this.latencyMs = ms;
    this.latencyMatch = match;
  }

  latencyFor(req: LoggedRequest): number {
    return this.latencyMs > 0 && matchesRequest(req, this.latencyMatch) ? this.latencyMs : 0;
  }

  /** The next `count` requests matching `match` answer `status` (500 by default) with a Status body. */
  failNext(match: RequestMatch, count = 1, status = 500): void {
    this.failRules.push({ match, remaining: count, status });
  }

  /** Consumes a fail rule for this request, returning the error to answer with. */
  takeFailure(req: LoggedRequest): KubeStatusError | undefined {
    const rule = this.failRules.find((r) => r.remaining > 0 && matchesRequest(req, r.match));
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.status === 503) {
      return new KubeStatusError(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        {
          retryAfterSeconds: 1,
        },
      );
    }
    if (rule.status === 429) {
      return new KubeStatusError(
        429,
        'TooManyRequests',
        'the server has received too many requests and has asked us to try again later',
        { retryAfterSeconds: 1 },
      );
    }
    if (rule.status === 504)
      return new KubeStatusError(
        504,
        'Timeout',
        'the server was unable to return a response in the time allotted',
      );
    return new KubeStatusError(rule.status, 'InternalError', 'Internal error occurred: injected fault');
  }

  /** Ends every open watch. `abrupt` destroys the sockets instead of ending the streams cleanly. */
  dropWatches(abrupt = false): number {
    const count = this.openWatches.size;
    for (const res of this.openWatches) {
      if (abrupt) res.destroy();
      else res.end();
    }
    this.openWatches.clear();
    return count;
  }

  /** A namespace that, once deleted, stays Terminating until released. */
  stickNamespace(name: string): void {
    this.stuckNamespaces.add(name);
  }

  releaseNamespace(name: string): void {
    this.stuckNamespaces.delete(name);
  }

  reset(): void {
    this.latencyMs = 0;
    this.failRules.length = 0;
    this.stuckNamespaces.clear();
  }
}
