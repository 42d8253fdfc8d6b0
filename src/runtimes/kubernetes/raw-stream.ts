import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A streamed GET of an API server path with the kubeconfig's credentials (a followed pod log). Resolves with the
 * response once its status is 200; `signal` ends it. Errors after that end the stream instead of being thrown.
 */
export async function rawStream(kc: KubeConfig, path: string, signal: AbortSignal): Promise<IncomingMessage> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('no current cluster');
  const url = new URL(path, server);
  const options: RequestOptions = { method: 'GET', headers: {}, signal };
  await kc.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      res.on('error', () => res.destroy());
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      res.resume();
      reject(Object.assign(new Error(`HTTP ${res.statusCode ?? 0}`), { statusCode: res.statusCode }));
    });
    req.on('error', (error) => reject(error));
    req.end();
  });
}
