import type { ImageBehavior } from './image-behaviors.ts';
import type { JsonObject, KubeObject } from './kube-object.ts';

export interface StatusMoment {
  started: string;
  at: string;
  /** How many crash or pull retries happened so far. */
  round: number;
  pullReason: string;
}

export function condition(type: string, status: string, at: string, notReady?: string): JsonObject {
  const c: JsonObject = { type, status, lastProbeTime: null, lastTransitionTime: at };
  if (notReady !== undefined) {
    c.reason = 'ContainersNotReady';
    c.message = notReady;
  }
  return c;
}

export function containerStatus(
  c: { name: string; image: string },
  state: JsonObject,
  ready: boolean,
  restartCount: number,
  started = false,
): JsonObject {
  return {
    name: c.name,
    image: c.image,
    imageID: ready || started ? `${c.image.replace(/:[^/:]+$/, '')}@sha256:${'0'.repeat(64)}` : '',
    containerID: `containerd://${Buffer.from(c.name).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    ready,
    started,
    restartCount,
    state,
  };
}

/** One container's status as the kubelet reports it for the image's behaviour. */
export function containerStatusFor(
  c: { name: string; image: string; behavior: ImageBehavior },
  pod: KubeObject,
  m: StatusMoment,
): JsonObject {
  const b = c.behavior;
  if (b.kind === 'pull-error') {
    const message =
      m.pullReason === 'ErrImagePull'
        ? `failed to pull and unpack image "${c.image}": not found`
        : `Back-off pulling image "${c.image}"`;
    return containerStatus(c, { waiting: { reason: m.pullReason, message } }, false, 0);
  }
  if (b.kind === 'crash') {
    const backoff = Math.min(300, 10 * 2 ** m.round);
    const who = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    const s = containerStatus(
      c,
      {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${backoff}s restarting failed container=${c.name} pod=${who}`,
        },
      },
      false,
      m.round + 1,
    );
    const containerID = typeof s.containerID === 'string' ? s.containerID : '';
    s.lastState = {
      terminated: {
        exitCode: b.exitCode ?? 1,
        reason: 'Error',
        startedAt: m.started,
        finishedAt: m.at,
        containerID,
      },
    };
    return s;
  }
  return containerStatus(c, { running: { startedAt: m.started } }, b.kind === 'ok', 0, true);
}
