/**
 * The baseline of the throughput rounds: a byte relay in front of the app on port `argv[2]`, each client
 * connection piped to a connection of its own to the app, with nothing parsed, routed or rewritten. It is
 * the least any proxy in node can cost for the same hop, so the proxy is compared with it as well as with
 * the app's own port.
 */
import net from 'node:net';
import { cpuMicros, type ServerChildMessage, type ServerParentMessage } from './server-messages.ts';

const appPort = Number(process.argv[2]);
const server = net.createServer({ noDelay: true }, (client) => {
  const app = net.connect({ port: appPort, host: '127.0.0.1', noDelay: true });
  client.on('data', (chunk) => app.write(chunk));
  app.on('data', (chunk) => client.write(chunk));
  client.on('close', () => app.destroy());
  app.on('close', () => client.destroy());
  client.on('error', () => app.destroy());
  app.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const ready: ServerChildMessage = { type: 'ready', port: (server.address() as net.AddressInfo).port };
  process.send?.(ready);
});
process.on('message', (message: ServerParentMessage) => {
  if (message.type === 'cpu') process.send?.(cpuMicros());
});
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(1));
