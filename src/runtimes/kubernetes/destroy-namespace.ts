import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { RuntimeFailure } from '../runtime.ts';
import { abortableSleep } from './abortable-sleep.ts';
import type { KubernetesTiming } from './kubernetes-runtime-options.ts';
import type { NamespaceWatch } from './namespace-watch.ts';
import { apiStatusCode, translateKubeError } from './translate-kube-error.ts';

export interface DestroyNamespaceInput {
  core: CoreV1Api;
  /** The runtime's shared watch of namespaces, which tells when this one is gone. */
  namespaces: NamespaceWatch;
  namespace: string;
  timeoutMs: number;
  timing: KubernetesTiming;
  signal: AbortSignal;
  log: Logger | undefined;
}

/**
 * Deletes the namespace with foreground propagation (unless the shared namespace watch shows it terminating
 * already, or it is gone) and waits, on that watch, until it is gone. Transient API errors of the deletion are retried with
 * backoff; a namespace still there at the timeout fails permanently.
 */
export async function destroyNamespace(input: DestroyNamespaceInput): Promise<void> {
  const { core, namespace, signal } = input;
  const deadline = Date.now() + input.timeoutMs;
  const cancelled = () =>
    new RuntimeFailure(`deleting ${namespace} was cancelled`, { transient: true, cause: signal.reason });
  const notGone = (problem: string) =>
    new RuntimeFailure(
      `namespace ${namespace} was not gone after ${Math.round(input.timeoutMs / 1000)} s (${problem}): ` +
        `check its finalizers with kubectl get namespace ${namespace} -o yaml`,
      { transient: false },
    );
  let pause = input.timing.deleteBackoffMinMs;
  for (;;) {
    if (signal.aborted) throw cancelled();
    try {
      // A namespace already terminating was asked to go by an earlier attempt (one taken over after its
      // replica died): it is waited for, not deleted a second time. One the watch does not show is gone
      // already or too new for it: a read tells which (404: gone).
      const current =
        (await input.namespaces.lastSeen(namespace)) ?? (await core.readNamespace({ name: namespace }));
      if (current.metadata?.deletionTimestamp === undefined) {
        await core.deleteNamespace({ name: namespace, propagationPolicy: 'Foreground' });
        input.log?.info({ namespace }, 'namespace deletion requested');
      }
      break;
    } catch (error) {
      if (apiStatusCode(error) === 404) return;
      const failure = translateKubeError(error, `deleting namespace ${namespace}`);
      if (!failure.transient) throw failure;
      input.log?.warn({ namespace, err: failure.message }, 'namespace deletion: retrying');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw notGone(failure.message);
      await abortableSleep(Math.min(pause, remaining), signal);
      pause = Math.min(pause * 2, input.timing.deleteBackoffMaxMs);
    }
  }
  // One millisecond more: a timer may fire a millisecond early by Date.now's clock.
  const timeout = AbortSignal.timeout(Math.max(0, deadline - Date.now()) + 1);
  try {
    await input.namespaces.waitUntilGone(namespace, AbortSignal.any([signal, timeout]));
  } catch (error) {
    if (signal.aborted) throw cancelled();
    if (timeout.aborted) throw notGone(`still ${input.namespaces.phaseOf(namespace) ?? 'present'}`);
    throw translateKubeError(error, `waiting for namespace ${namespace} to go`);
  }
}
