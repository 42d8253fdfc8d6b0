import type { ServerResponse } from 'node:http';
import { arrayField, field, type KubeObject, stringField } from './kube-object.ts';
import { badRequest } from './kube-status.ts';
import { type LogBook, type LogLine, rfc3339Nano } from './log-book.ts';

/** GET .../pods/{name}/log: container, tailLines, timestamps, sinceSeconds, limitBytes, previous, follow. */
export function servePodLog(
  res: ServerResponse,
  pod: KubeObject,
  query: URLSearchParams,
  logs: LogBook,
): void {
  const containers = arrayField(pod, 'spec', 'containers').map((c) => String(field(c, 'name')));
  let container = query.get('container') ?? undefined;
  if (container === undefined) {
    if (containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0] ?? '';
  }
  if (!containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
  }
  const status = arrayField(pod, 'status', 'containerStatuses').find((s) => field(s, 'name') === container);
  const waiting = stringField(status, 'state', 'waiting', 'reason');
  const previous = query.get('previous') === 'true';
  const everRan =
    field(status, 'state', 'running') !== undefined || (Number(field(status, 'restartCount')) || 0) > 0;
  if (!previous && !everRan) {
    const reason =
      waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : (waiting ?? 'ContainerCreating');
    throw badRequest(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason}`);
  }
  if (previous && logs.read(pod.metadata.namespace ?? '', pod.metadata.name, container, true).length === 0) {
    throw badRequest(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
  }
  const timestamps = query.get('timestamps') === 'true';
  const format = (l: LogLine): string => (timestamps ? `${rfc3339Nano(l.time)} ${l.text}\n` : `${l.text}\n`);
  let lines = logs.read(pod.metadata.namespace ?? '', pod.metadata.name, container, previous);
  const sinceSeconds = query.get('sinceSeconds');
  const sinceTime = query.get('sinceTime');
  const since =
    sinceSeconds !== null
      ? Date.now() - Number(sinceSeconds) * 1000
      : sinceTime !== null
        ? Date.parse(sinceTime)
        : undefined;
  if (since !== undefined) lines = lines.filter((l) => l.time.getTime() >= since);
  const tail = query.get('tailLines');
  if (tail !== null) lines = Number(tail) <= 0 ? [] : lines.slice(-Number(tail));
  let budget = query.get('limitBytes') === null ? Number.POSITIVE_INFINITY : Number(query.get('limitBytes'));
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  const emit = (text: string): boolean => {
    if (budget <= 0) return false;
    const chunk = Buffer.from(text).subarray(0, budget);
    budget -= chunk.length;
    res.write(chunk);
    return budget > 0;
  };
  for (const l of lines) if (!emit(format(l))) break;
  if (query.get('follow') !== 'true' || previous || budget <= 0) {
    res.end();
    return;
  }
  res.flushHeaders();
  const stop = logs.follow(
    pod.metadata.namespace ?? '',
    pod.metadata.name,
    container,
    (l) => {
      if (!emit(format(l))) res.end();
    },
    () => res.end(),
  );
  res.on('close', stop);
}
