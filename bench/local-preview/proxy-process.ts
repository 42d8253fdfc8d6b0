/**
 * The local runtime's reverse proxy in its own process, routing `pr-bench-1.localhost` to the app on
 * port `argv[2]`. Exits on SIGINT, so that `--cpu-prof` writes its profile.
 */
import { pino } from 'pino';
import { ReverseProxy } from '../../src/runtimes/local/reverse-proxy.ts';
import {
  BENCH_NAMESPACE,
  cpuMicros,
  type ServerChildMessage,
  type ServerParentMessage,
} from './server-messages.ts';

const proxy = new ReverseProxy({
  baseDomain: 'localhost',
  publicUrl: 'http://localhost:3000',
  scheme: 'http',
  logger: pino({ level: 'silent' }),
});
proxy.setRoute(BENCH_NAMESPACE, { kind: 'serving', port: Number(process.argv[2]) });
const port = await proxy.listen('127.0.0.1', 0);
process.on('message', (message: ServerParentMessage) => {
  if (message.type === 'cpu') process.send?.(cpuMicros());
});
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(1));
const ready: ServerChildMessage = { type: 'ready', port };
process.send?.(ready);
