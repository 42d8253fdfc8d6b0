import { recordEvent } from './events.ts';
import type { ImageBehavior, ImageBehaviors } from './image-behaviors.ts';
import { arrayField, field, type JsonObject, type KubeObject, stringField } from './kube-object.ts';
import type { LogBook } from './log-book.ts';
import { type ObjectStore, timestamp } from './object-store.ts';
import { condition, containerStatus, containerStatusFor } from './pod-status.ts';
import { mustType } from './resource-types.ts';

export interface KubeletTiming {
  /** From scheduling to containers running (or failing). */
  startDelayMs: number;
  /** Between crash-loop restarts and image pull retries. */
  retryIntervalMs: number;
  /** Between log lines a running container writes. */
  logIntervalMs: number;
  /** From a graceful pod delete to the pod being gone. */
  terminationDelayMs: number;
}

const podType = mustType('', 'pods');
const nodeName = 'sim-node-1';

/** Runs pods on a pretend node: schedules them, starts containers per image behaviour, writes logs. */
export class FakeKubelet {
  private readonly store: ObjectStore;
  private readonly images: ImageBehaviors;
  private readonly logs: LogBook;
  readonly timing: KubeletTiming;
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly unsubscribe: () => void;
  private ipCounter = 2;

  constructor(store: ObjectStore, images: ImageBehaviors, logs: LogBook, timing: KubeletTiming) {
    this.store = store;
    this.images = images;
    this.logs = logs;
    this.timing = timing;
    this.unsubscribe = store.subscribe((e) => {
      if (e.resource !== podType) return;
      const key = podKey(e.object);
      if (e.type === 'DELETED') {
        this.stop(key);
        this.logs.forget(e.object.metadata.namespace ?? '', e.object.metadata.name);
      } else if (e.type === 'ADDED') setImmediate(() => this.schedule(e.object));
      else if (
        e.object.metadata.deletionTimestamp !== undefined &&
        e.previous?.metadata.deletionTimestamp === undefined
      ) {
        this.stop(key);
        this.later(key, this.timing.terminationDelayMs, () => this.finishTermination(e.object));
      }
    });
  }

  close(): void {
    this.unsubscribe();
    for (const key of [...this.timers.keys()]) this.stop(key);
  }

  private later(key: string, ms: number, fn: () => void, repeat = false): void {
    const t = repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
    this.timers.set(key, [...(this.timers.get(key) ?? []), t]);
  }

  private stop(key: string): void {
    for (const t of this.timers.get(key) ?? []) clearTimeout(t);
    this.timers.delete(key);
  }

  private update(pod: KubeObject, change: (p: KubeObject) => void): KubeObject | undefined {
    const current = this.store.get(podType, pod.metadata.namespace, pod.metadata.name);
    if (current === undefined || current.metadata.uid !== pod.metadata.uid) return undefined;
    change(current);
    return this.store.replace(podType, current);
  }

  private schedule(pod: KubeObject): void {
    if (stringField(pod, 'spec', 'nodeName') !== undefined) return;
    const at = timestamp();
    const scheduled = this.update(pod, (p) => {
      (p.spec as JsonObject).nodeName = nodeName;
      p.status = {
        ...(p.status as JsonObject),
        phase: 'Pending',
        hostIP: '10.0.0.10',
        startTime: at,
        conditions: [condition('PodScheduled', 'True', at)],
        containerStatuses: containers(p).map((c) =>
          containerStatus(c, { waiting: { reason: 'ContainerCreating' } }, false, 0),
        ),
      };
    });
    if (scheduled === undefined) return;
    recordEvent(
      this.store,
      scheduled,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      'default-scheduler',
    );
    this.later(podKey(pod), this.timing.startDelayMs, () => this.start(scheduled));
  }

  private behaviorOf(pod: KubeObject): { image: string; name: string; behavior: ImageBehavior }[] {
    return containers(pod).map((c) => ({ ...c, behavior: this.images.get(c.image) }));
  }

  private start(pod: KubeObject): void {
    const key = podKey(pod);
    const ns = pod.metadata.namespace ?? '';
    const cs = this.behaviorOf(pod);
    const ip = `10.244.0.${this.ipCounter++ % 250}`;
    for (const c of cs) {
      if (c.behavior.kind === 'pull-error') {
        recordEvent(this.store, pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, 'kubelet');
        continue;
      }
      recordEvent(
        this.store,
        pod,
        'Normal',
        'Pulled',
        `Container image "${c.image}" already present on machine`,
        'kubelet',
      );
      recordEvent(this.store, pod, 'Normal', 'Created', `Created container ${c.name}`, 'kubelet');
      recordEvent(this.store, pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
      this.logs.append(ns, pod.metadata.name, c.name, `starting ${c.image}`);
      this.logs.append(
        ns,
        pod.metadata.name,
        c.name,
        c.behavior.kind === 'crash'
          ? `fatal: ${c.behavior.message ?? 'configuration error, exiting'}`
          : 'listening on :8080',
      );
    }
    this.writeStatus(pod, ip, 0, 'ErrImagePull');
    if (cs.some((c) => c.behavior.kind === 'crash' || c.behavior.kind === 'pull-error')) {
      let round = 0;
      this.later(key, this.timing.retryIntervalMs, () => this.retry(pod, ip, ++round), true);
    }
    this.later(
      key,
      this.timing.logIntervalMs,
      () => {
        for (const c of cs) {
          if (c.behavior.kind === 'ok' || c.behavior.kind === 'unready') {
            this.logs.append(ns, pod.metadata.name, c.name, `GET /healthz 200 ${new Date().toISOString()}`);
          }
        }
      },
      true,
    );
  }

  private retry(pod: KubeObject, ip: string, round: number): void {
    const ns = pod.metadata.namespace ?? '';
    for (const c of this.behaviorOf(pod)) {
      if (c.behavior.kind === 'crash') {
        this.logs.restart(ns, pod.metadata.name, c.name);
        this.logs.append(ns, pod.metadata.name, c.name, `starting ${c.image}`);
        this.logs.append(
          ns,
          pod.metadata.name,
          c.name,
          `fatal: ${c.behavior.message ?? 'configuration error, exiting'}`,
        );
        recordEvent(
          this.store,
          pod,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${ns}(${pod.metadata.uid})`,
          'kubelet',
        );
      }
      if (c.behavior.kind === 'pull-error') {
        recordEvent(
          this.store,
          pod,
          'Warning',
          'Failed',
          `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
          'kubelet',
        );
        recordEvent(this.store, pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`, 'kubelet');
      }
    }
    this.writeStatus(pod, ip, round, round % 2 === 1 ? 'ImagePullBackOff' : 'ErrImagePull');
  }

  private writeStatus(pod: KubeObject, ip: string, round: number, pullReason: string): void {
    const at = timestamp();
    const started = stringField(pod, 'status', 'startTime') ?? at;
    this.update(pod, (p) => {
      const cs = this.behaviorOf(p).map((c) => containerStatusFor(c, p, { started, at, round, pullReason }));
      const allReady = cs.every((s) => s.ready === true);
      const anyStarted = cs.some(
        (s) =>
          field(s, 'state', 'running') !== undefined || field(s, 'lastState', 'terminated') !== undefined,
      );
      const notReady = allReady
        ? undefined
        : `containers with unready status: [${cs
            .filter((s) => s.ready !== true)
            .map((s) => s.name)
            .join(' ')}]`;
      p.status = {
        ...(p.status as JsonObject),
        phase: anyStarted ? 'Running' : 'Pending',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [
          condition('PodReadyToStartContainers', 'True', at),
          condition('Initialized', 'True', at),
          condition('Ready', allReady ? 'True' : 'False', at, notReady),
          condition('ContainersReady', allReady ? 'True' : 'False', at, notReady),
          condition('PodScheduled', 'True', at),
        ],
        containerStatuses: cs,
      };
    });
  }

  private finishTermination(pod: KubeObject): void {
    const current = this.store.get(podType, pod.metadata.namespace, pod.metadata.name);
    if (current === undefined || current.metadata.uid !== pod.metadata.uid) return;
    if ((current.metadata.finalizers ?? []).length > 0) return;
    this.store.remove(podType, pod.metadata.namespace, pod.metadata.name);
  }
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
}

function containers(pod: KubeObject): { name: string; image: string }[] {
  return arrayField(pod, 'spec', 'containers').map((c) => ({
    name: String(field(c, 'name')),
    image: String(field(c, 'image')),
  }));
}
