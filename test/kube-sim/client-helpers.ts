import { ApiException, KubeConfig } from '@kubernetes/client-node';

/** A client config for the simulator or a real control plane (anything with a kubeconfig). */
export function kubeConfigFor(kube: { kubeconfigPath: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  return kc;
}

export interface StatusLike {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { type?: string; field?: string; message?: string }[];
  };
}

/** Runs a client call expected to fail, returning the ApiException's code and parsed Status body. */
export async function apiError(call: () => Promise<unknown>): Promise<{ code: number; status: StatusLike }> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = err.body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as StatusLike;
    return { code: err.code, status: status ?? {} };
  }
  throw new Error('expected the call to fail');
}
