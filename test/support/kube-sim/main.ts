import { parseArgs } from 'node:util';
import { startKubeSimulator } from './start-kube-simulator.ts';

/** `node test/support/kube-sim/main.ts --port 6443`: prints the kubeconfig path and serves until killed. */
const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, token: { type: 'string' } },
});
const sim = await startKubeSimulator({
  port: Number(values.port),
  ...(values.token === undefined ? {} : { token: values.token }),
});
process.stdout.write(`${sim.kubeconfigPath}\n`);
process.stderr.write(`kube-sim listening on ${sim.url}\n`);
const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
