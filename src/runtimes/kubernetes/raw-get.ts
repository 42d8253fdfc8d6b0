import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A GET of an API server path with the kubeconfig's credentials, for paths the generated client cannot express
 * (a service proxy path with several segments). Answers the status and up to 64 KiB of the body.
 */
export async function rawGet(
  kc: KubeConfig,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('no current cluster');
  const url = new URL(path, server);
  const options: RequestOptions = { method: 'GET', timeout: timeoutMs, headers: {} };
  await kc.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < 65_536) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.end();
  });
}
