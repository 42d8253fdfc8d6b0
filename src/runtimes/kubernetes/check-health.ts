import type { KubeConfig } from '@kubernetes/client-node';
import { RuntimeFailure } from '../runtime.ts';
import { abortableSleep } from './abortable-sleep.ts';
import { rawGet } from './raw-get.ts';

export interface CheckHealthInput {
  kc: KubeConfig;
  namespace: string;
  /** `name:port` of the Service to call through the API server's service proxy. */
  service: string;
  path: string;
  deadline: number;
  pollIntervalMs: number;
  signal: AbortSignal;
}

/** Calls the health path through the service proxy until it answers 2xx or 3xx; fails permanently at the deadline. */
export async function checkHealth(input: CheckHealthInput): Promise<void> {
  const proxyPath = `/api/v1/namespaces/${input.namespace}/services/${input.service}/proxy${input.path}`;
  let last = 'no answer';
  for (;;) {
    input.signal.throwIfAborted();
    try {
      const res = await rawGet(input.kc, proxyPath, 10_000);
      if (res.status >= 200 && res.status < 400) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as { code?: string }).code ?? 'request failed';
    }
    if (Date.now() + input.pollIntervalMs > input.deadline) {
      throw new RuntimeFailure(
        `health check ${input.path} on service ${input.service} in ${input.namespace} did not pass: ${last}`,
        { transient: false },
      );
    }
    await abortableSleep(input.pollIntervalMs, input.signal);
  }
}
