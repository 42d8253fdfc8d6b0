/**
 * The preview app of the throughput rounds, in its own process: a dependency-free node:http server that
 * spins for `argv[2]` microseconds per request (0: none), to compare with an app that does some work.
 */
import http from 'node:http';
import { cpuMicros, type ServerChildMessage, type ServerParentMessage } from './server-messages.ts';

const workUs = Number(process.argv[2] ?? 0);
const server = http.createServer((_request, response) => {
  const until = performance.now() + workUs / 1000;
  while (performance.now() < until) {}
  response.end('hello from the preview\n');
});
server.listen(0, '127.0.0.1', () => {
  const ready: ServerChildMessage = { type: 'ready', port: (server.address() as { port: number }).port };
  process.send?.(ready);
});
process.on('message', (message: ServerParentMessage) => {
  if (message.type === 'cpu') process.send?.(cpuMicros());
});
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(1));
