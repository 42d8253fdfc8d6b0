import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import { RuntimeFailure } from '../runtime.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';

/**
 * A KubeConfig from the given file, or the default chain (KUBECONFIG, ~/.kube/config, then the in-cluster service
 * account). The message of a failure names the file, never its contents or tokens.
 */
export function loadKubeConfig(path: string | undefined, metrics?: GlimpseMetrics): PooledKubeConfig {
  const kc = new PooledKubeConfig(metrics);
  try {
    if (path === undefined) kc.loadFromDefault();
    else kc.loadFromFile(path);
  } catch (error) {
    const where = path === undefined ? 'the default kubeconfig (KUBECONFIG or ~/.kube/config)' : `"${path}"`;
    throw new RuntimeFailure(`cannot load the kubeconfig from ${where}: ${errorCode(error)}`, {
      transient: false,
    });
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new RuntimeFailure(
      'the kubeconfig names no current cluster: set current-context or the kubeconfig path',
      {
        transient: false,
      },
    );
  }
  // The client refuses plain http unless TLS checks are off, with a message that names neither the cause nor
  // the remedy; say both before it is asked anything.
  if (cluster.server.startsWith('http://') && cluster.skipTLSVerify !== true) {
    throw new RuntimeFailure(
      `the kubeconfig's cluster "${cluster.name}" has a plain http:// server (${cluster.server}), and the Kubernetes ` +
        "client speaks https only: use the API server's https:// address (with its certificate-authority-data), " +
        'or, for a test cluster only, set insecure-skip-tls-verify: true on that cluster',
      { transient: false },
    );
  }
  return kc;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'invalid file';
}
