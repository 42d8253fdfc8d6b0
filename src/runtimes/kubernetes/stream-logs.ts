import { createInterface } from 'node:readline';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { LogLine } from '../../domain/log-line.ts';
import type { LogOptions } from '../runtime.ts';
import { rawStream } from './raw-stream.ts';
import { translateKubeError } from './translate-kube-error.ts';

export interface StreamLogsInput {
  kc: KubeConfig;
  core: CoreV1Api;
  namespace: string;
  options: LogOptions;
  /** Aborted when the runtime closes. */
  closing: AbortSignal;
}

interface Source {
  pod: string;
  container: string;
}

/**
 * The logs of every container of every pod in the namespace, each line with its `pod/container` source. Without
 * `follow`, the last `tailLines` of each container, ordered by time when timestamps are on. With `follow`, the lines
 * of all containers as they come, until `options.signal` aborts (pods created later are not picked up).
 */
export async function* streamLogs(input: StreamLogsInput): AsyncGenerator<LogLine> {
  const { core, namespace, options } = input;
  let pods: V1Pod[];
  try {
    pods = (await core.listNamespacedPod({ namespace })).items;
  } catch (error) {
    throw translateKubeError(error, `listing the pods of ${namespace}`);
  }
  const sources: Source[] = pods.flatMap((pod) =>
    (pod.spec?.containers ?? []).map((c) => ({ pod: pod.metadata?.name ?? '', container: c.name })),
  );
  if (!options.follow) {
    const batches = await Promise.all(sources.map((s) => readTail(input, s)));
    const lines = batches.flat();
    if (options.timestamps) lines.sort((a, b) => (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0));
    yield* lines;
    return;
  }
  yield* follow(input, sources);
}

async function readTail(input: StreamLogsInput, source: Source): Promise<LogLine[]> {
  try {
    const text = await input.core.readNamespacedPodLog({
      name: source.pod,
      namespace: input.namespace,
      container: source.container,
      tailLines: input.options.tailLines,
      timestamps: input.options.timestamps,
    });
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => toLogLine(l, source, input.options.timestamps));
  } catch {
    return []; // A container that has not started has no logs yet.
  }
}

async function* follow(input: StreamLogsInput, sources: Source[]): AsyncGenerator<LogLine> {
  const queue: LogLine[] = [];
  let wake: (() => void) | undefined;
  let open = sources.length;
  const ended = new AbortController();
  const stop = AbortSignal.any([
    ended.signal,
    input.closing,
    ...(input.options.signal ? [input.options.signal] : []),
  ]);
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stop.addEventListener('abort', notify, { once: true });
  for (const source of sources) {
    const query = new URLSearchParams({
      container: source.container,
      follow: 'true',
      tailLines: String(input.options.tailLines),
      timestamps: String(input.options.timestamps),
    });
    const path = `/api/v1/namespaces/${input.namespace}/pods/${source.pod}/log?${query}`;
    rawStream(input.kc, path, stop).then(
      (response) => {
        const lines = createInterface({ input: response });
        lines.on('error', () => lines.close()); // An ended follow (abort, pod gone) is the end of its lines.
        lines.on('line', (line) => {
          queue.push(toLogLine(line, source, input.options.timestamps));
          notify();
        });
        lines.on('close', () => {
          open--;
          notify();
        });
      },
      () => {
        open--; // The container has not started, or the pod went away.
        notify();
      },
    );
  }
  try {
    while (!stop.aborted) {
      const line = queue.shift();
      if (line !== undefined) {
        yield line;
        continue;
      }
      if (open <= 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stop.removeEventListener('abort', notify);
    ended.abort();
  }
}

function toLogLine(line: string, source: Source, timestamps: boolean): LogLine {
  const from = `${source.pod}/${source.container}`;
  if (!timestamps) return { time: undefined, source: from, text: line };
  const space = line.indexOf(' ');
  const time = space > 0 ? new Date(line.slice(0, space)) : undefined;
  if (time === undefined || Number.isNaN(time.getTime()))
    return { time: undefined, source: from, text: line };
  return { time, source: from, text: line.slice(space + 1) };
}
