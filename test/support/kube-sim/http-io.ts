import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalError, KubeStatusError } from './kube-status.ts';
import { decodeProtobufObject } from './protobuf-body.ts';

/** Reads a request body as text; protobuf bodies (kubectl's typed clients) are decoded to JSON first. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const buf = Buffer.concat(chunks);
  if ((req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) {
    return JSON.stringify(decodeProtobufObject(buf));
  }
  return buf.toString('utf8');
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const status =
    err instanceof KubeStatusError ? err : internalError(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, status.body);
}
