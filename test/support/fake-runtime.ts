import type { LogLine } from '../../src/domain/log-line.ts';
import type {
  Deployed,
  EnvironmentRef,
  EnvironmentSpec,
  LogOptions,
  Observed,
  Runtime,
} from '../../src/runtimes/runtime.ts';

/**
 * An in-memory Runtime for tests of the edges: it keeps log lines per namespace, follows them until the
 * caller's signal aborts, and reports what `observed` says. A dependency, not the thing under test.
 */
export interface FakeRuntime extends Runtime {
  lines: Map<string, LogLine[]>;
  observed: Map<string, Observed>;
  /** Appends a line; followers of that namespace receive it. */
  push(namespace: string, line: LogLine): void;
  /** How many log streams are open right now. */
  openStreams(): number;
}

export function createFakeRuntime(): FakeRuntime {
  const lines = new Map<string, LogLine[]>();
  const observed = new Map<string, Observed>();
  const listeners = new Map<string, Set<() => void>>();
  const deployed = new Map<string, EnvironmentRef>();
  let open = 0;
  return {
    name: 'local',
    lines,
    observed,
    push(namespace, line) {
      lines.set(namespace, [...(lines.get(namespace) ?? []), line]);
      for (const listener of listeners.get(namespace) ?? []) listener();
    },
    openStreams: () => open,
    requiredChecks: () => [],
    async deploy(spec: EnvironmentSpec): Promise<Deployed> {
      deployed.set(spec.namespace, spec);
      return { url: `http://${spec.namespace}.preview.test` };
    },
    async destroy(ref) {
      deployed.delete(ref.namespace);
    },
    logs(ref: EnvironmentRef, options: LogOptions): AsyncIterable<LogLine> {
      return (async function* () {
        open += 1;
        try {
          const all = lines.get(ref.namespace) ?? [];
          let index = Math.max(0, all.length - options.tailLines);
          const strip = (line: LogLine): LogLine =>
            options.timestamps ? line : { ...line, time: undefined };
          while (index < all.length) yield strip(all[index++] as LogLine);
          if (!options.follow) return;
          while (options.signal?.aborted !== true) {
            await new Promise<void>((resolve) => {
              const set = listeners.get(ref.namespace) ?? new Set();
              listeners.set(ref.namespace, set);
              const done = () => {
                set.delete(done);
                resolve();
              };
              set.add(done);
              options.signal?.addEventListener('abort', done, { once: true });
            });
            const current = lines.get(ref.namespace) ?? [];
            while (index < current.length) yield strip(current[index++] as LogLine);
          }
        } finally {
          open -= 1;
        }
      })();
    },
    async inspect(ref) {
      return observed.get(ref.namespace) ?? { exists: deployed.has(ref.namespace), workloads: [] };
    },
    async listManaged() {
      return [...deployed.values()];
    },
    async findVanished(namespaces) {
      return new Set(
        namespaces.filter((namespace) => {
          const seen = observed.get(namespace) ?? { exists: deployed.has(namespace), workloads: [] };
          return !seen.exists || (seen.missing ?? []).length > 0;
        }),
      );
    },
    async close() {},
  };
}
