/**
 * Fault injection for the simulator. A route is selected by its key, e.g.
 * `GET /repos/{owner}/{repo}/contents/{path}`; no route means every route.
 */
export interface PrimaryRateLimit {
  /** Epoch seconds, as in `x-ratelimit-reset`. */
  resetAt: number;
  status: 403 | 429;
}

interface CountedFault {
  route: string | undefined;
  remaining: number;
}

export class Faults {
  readonly #errors: Array<CountedFault & { status: number }> = [];
  readonly #delays: Array<CountedFault & { ms: number }> = [];
  readonly #secondary: Array<CountedFault & { retryAfterSeconds: number }> = [];
  primary: PrimaryRateLimit | undefined;
  /** Until when (epoch ms) a secondary limit that was announced still applies. */
  secondaryUntil = 0;
  /** Quota used up by other (simulated) clients of the same installation. */
  usedElsewhere = 0;

  failNext(route: string | undefined, count: number, status: number): void {
    this.#errors.push({ route, remaining: count, status });
  }

  slowNext(route: string | undefined, ms: number, count: number): void {
    this.#delays.push({ route, remaining: count, ms });
  }

  secondaryNext(route: string | undefined, retryAfterSeconds: number, count: number): void {
    this.#secondary.push({ route, remaining: count, retryAfterSeconds });
  }

  takeError(route: string): number | undefined {
    return take(this.#errors, route)?.status;
  }

  takeDelay(route: string): number | undefined {
    return take(this.#delays, route)?.ms;
  }

  takeSecondary(route: string): number | undefined {
    return take(this.#secondary, route)?.retryAfterSeconds;
  }
}

function take<T extends CountedFault>(faults: T[], route: string): T | undefined {
  const fault = faults.find((f) => f.remaining > 0 && (f.route === undefined || f.route === route));
  if (fault) fault.remaining -= 1;
  return fault;
}
