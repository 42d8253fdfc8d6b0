export interface LogLine {
  time: Date;
  text: string;
}

type LogListener = (line: LogLine) => void;

function key(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`;
}

/** Container log lines, kept per pod and container, with listeners for `follow`. */
export class LogBook {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly previous = new Map<string, LogLine[]>();
  private readonly listeners = new Map<string, Set<LogListener>>();
  private readonly closers = new Map<string, Set<() => void>>();

  append(namespace: string, pod: string, container: string, text: string): void {
    const k = key(namespace, pod, container);
    const line = { time: new Date(), text };
    const list = this.lines.get(k) ?? [];
    list.push(line);
    this.lines.set(k, list);
    for (const l of this.listeners.get(k) ?? []) l(line);
  }

  /** Starts a new container instance: the current lines become what `previous=true` returns. */
  restart(namespace: string, pod: string, container: string): void {
    const k = key(namespace, pod, container);
    this.previous.set(k, this.lines.get(k) ?? []);
    this.lines.set(k, []);
  }

  read(namespace: string, pod: string, container: string, previous: boolean): LogLine[] {
    const k = key(namespace, pod, container);
    return [...((previous ? this.previous : this.lines).get(k) ?? [])];
  }

  follow(
    namespace: string,
    pod: string,
    container: string,
    onLine: LogListener,
    onEnd: () => void,
  ): () => void {
    const k = key(namespace, pod, container);
    const set = this.listeners.get(k) ?? new Set();
    set.add(onLine);
    this.listeners.set(k, set);
    const ends = this.closers.get(k) ?? new Set();
    ends.add(onEnd);
    this.closers.set(k, ends);
    return () => {
      set.delete(onLine);
      ends.delete(onEnd);
    };
  }

  /** The pod is gone: followers end, lines are forgotten. */
  forget(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const [k, ends] of this.closers) {
      if (!k.startsWith(prefix)) continue;
      for (const end of ends) end();
      this.closers.delete(k);
      this.listeners.delete(k);
    }
    for (const map of [this.lines, this.previous])
      for (const k of map.keys()) if (k.startsWith(prefix)) map.delete(k);
  }
}

/** RFC3339Nano as the kubelet writes it: 2025-01-01T10:00:00.123456789Z. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
