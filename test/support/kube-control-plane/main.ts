import { parseArgs } from 'node:util';
import { startKubeControlPlane } from './start-kube-control-plane.ts';

/**
 * `node test/support/kube-control-plane/main.ts --port 6443`: starts etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok on loopback, prints the admin kubeconfig path and serves until killed, like
 * test/support/kube-sim/main.ts. The ServiceAccount's kubeconfig and the parts' logs go to stderr.
 */
const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const plane = await startKubeControlPlane({ port: Number(values.port) });
process.stdout.write(`${plane.kubeconfigPath}\n`);
process.stderr.write(
  `kube-control-plane listening on ${plane.url}\n` +
    `service account ${plane.serviceAccount.namespace}/${plane.serviceAccount.name}: ${plane.serviceAccountKubeconfigPath}\n` +
    `logs: ${plane.logDir}\n`,
);
const stop = (): void => {
  plane.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
