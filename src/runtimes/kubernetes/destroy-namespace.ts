import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { RuntimeFailure } from '../runtime.ts';
import { abortableSleep } from './abortable-sleep.ts';
import type { KubernetesTiming } from './kubernetes-runtime-options.ts';
import { apiStatusCode, translateKubeError } from './translate-kube-error.ts';

export interface DestroyNamespaceInput {
  core: CoreV1Api;
  namespace: string;
  timeoutMs: number;
  timing: KubernetesTiming;
  signal: AbortSignal;
  log: Logger | undefined;
}

/**
 * Deletes the namespace with foreground propagation (unless it is already terminating) and waits until
 * reading it answers 404. Transient API errors
 * are retried with backoff; a namespace still there at the timeout fails permanently.
 */
export async function destroyNamespace(input: DestroyNamespaceInput): Promise<void> {
  const { core, namespace, signal } = input;
  const deadline = Date.now() + input.timeoutMs;
  let pause = input.timing.deleteBackoffMinMs;
  let deleted = false;
  let lastProblem = '';
  for (;;) {
    if (signal.aborted) {
      throw new RuntimeFailure(`deleting ${namespace} was cancelled`, {
        transient: true,
        cause: signal.reason,
      });
    }
    try {
      if (!deleted) {
        // A namespace already terminating was asked to go by an earlier attempt (one taken over after its
        // replica died): it is waited for, not deleted a second time.
        const current = await core.readNamespace({ name: namespace });
        if (current.metadata?.deletionTimestamp === undefined) {
          await core.deleteNamespace({ name: namespace, propagationPolicy: 'Foreground' });
          input.log?.info({ namespace }, 'namespace deletion requested');
        }
        deleted = true;
      }
      const ns = await core.readNamespace({ name: namespace });
      lastProblem = `still ${ns.status?.phase ?? 'present'}`;
    } catch (error) {
      if (apiStatusCode(error) === 404) return;
      const failure = translateKubeError(error, `deleting namespace ${namespace}`);
      if (!failure.transient) throw failure;
      lastProblem = failure.message;
      input.log?.warn({ namespace, err: failure.message }, 'namespace deletion: retrying');
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new RuntimeFailure(
        `namespace ${namespace} was not gone after ${Math.round(input.timeoutMs / 1000)} s (${lastProblem}): ` +
          `check its finalizers with kubectl get namespace ${namespace} -o yaml`,
        { transient: false },
      );
    }
    await abortableSleep(Math.min(pause, remaining), signal);
    pause = Math.min(pause * 2, input.timing.deleteBackoffMaxMs);
  }
}
