import type { Runtime } from '../../src/runtimes/runtime.ts';

export interface RuntimeCall {
  who: string;
  op: 'deploy' | 'destroy';
  namespace: string;
  start: number;
  end: number | undefined;
}

/**
 * What several Glimpse instances did through their runtimes: every deploy and destroy with start and end,
 * the most in flight at once, and every time two calls for one namespace overlapped.
 */
export class RuntimeRecorder {
  readonly calls: RuntimeCall[] = [];
  readonly overlaps: string[] = [];
  maxInFlight = 0;
  readonly #inFlight = new Map<string, RuntimeCall>();

  get inFlight(): number {
    return this.#inFlight.size + [...this.#parallel.values()].reduce((sum, n) => sum + n, 0);
  }

  readonly #parallel = new Map<string, number>();

  /** A Runtime that delegates to `runtime` and records each call under `who`. */
  wrap(runtime: Runtime, who: string): Runtime {
    const record = async <T>(op: RuntimeCall['op'], namespace: string, work: () => Promise<T>) => {
      const call: RuntimeCall = { who, op, namespace, start: Date.now(), end: undefined };
      this.calls.push(call);
      const other = this.#inFlight.get(namespace);
      if (other !== undefined) {
        this.overlaps.push(`${who} ${op} ${namespace} while ${other.who} ${other.op} was in flight`);
        this.#parallel.set(namespace, (this.#parallel.get(namespace) ?? 0) + 1);
      } else {
        this.#inFlight.set(namespace, call);
      }
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        return await work();
      } finally {
        call.end = Date.now();
        if (this.#inFlight.get(namespace) === call) this.#inFlight.delete(namespace);
        else this.#parallel.set(namespace, (this.#parallel.get(namespace) ?? 1) - 1);
      }
    };
    return {
      name: runtime.name,
      requiredChecks: (config) => runtime.requiredChecks(config),
      deploy: (spec, signal) => record('deploy', spec.namespace, () => runtime.deploy(spec, signal)),
      destroy: (ref, signal) => record('destroy', ref.namespace, () => runtime.destroy(ref, signal)),
      logs: (ref, options) => runtime.logs(ref, options),
      inspect: (ref) => runtime.inspect(ref),
      listManaged: () => runtime.listManaged(),
      findVanished: (namespaces) => runtime.findVanished(namespaces),
      close: async () => {},
    };
  }
}
