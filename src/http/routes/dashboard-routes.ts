import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build:web` puts the dashboard, from src/http/routes (or dist/http/routes once compiled). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The dashboard's pages: each answers with the app, which routes in the browser (history API). */
export const DASHBOARD_PAGES = [
  '/',
  '/sign-in',
  '/environments/:namespace',
  '/repositories',
  '/deliveries',
  '/audit',
  '/account',
];

/** No inline script or style, nothing from elsewhere, never framed. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer | undefined;
  immutable: boolean;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Glimpse</title></head>
<body><h1>The dashboard is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>,
which builds it when it is missing or out of date), then reload. The API at /api/v1 works without it.</p></body></html>`;

/**
 * Serves the built dashboard: hashed files under /assets for a year, the app's pages with the
 * Content-Security-Policy. Files are read once at start (the whole app is a few hundred kilobytes).
 */
export function registerDashboardRoutes(http: FastifyInstance, dir = DASHBOARD_DIR): void {
  const assets = readAssets(dir);
  const index = assets.get('/index.html') ?? asset('.html', Buffer.from(NOT_BUILT), false);
  assets.delete('/index.html');
  for (const page of DASHBOARD_PAGES) http.get(page, (request, reply) => sendAsset(request, reply, index));
  for (const [url, file] of assets) http.get(url, (request, reply) => sendAsset(request, reply, file));
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, file: Asset) {
  void reply
    .header('content-type', file.type)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'accept-encoding');
  if (file.type.startsWith('text/html'))
    void reply.header('content-security-policy', DASHBOARD_CSP).header('x-frame-options', 'DENY');
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (file.gzipped !== undefined && acceptsGzip)
    return reply.header('content-encoding', 'gzip').send(file.gzipped);
  return reply.send(file.body);
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      if (name.startsWith('.')) continue;
      const file = path.join(folder, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const url = `/${path.relative(dir, file).split(path.sep).join('/')}`;
        assets.set(url, asset(path.extname(name), readFileSync(file), url.startsWith('/assets/')));
      }
    }
  };
  walk(dir);
  return assets;
}

function asset(extension: string, body: Buffer, immutable: boolean): Asset {
  const type = TYPES[extension] ?? 'application/octet-stream';
  const compressible = /^(text\/|image\/svg|application\/json)/.test(type) && body.length > 1024;
  return { type, body, gzipped: compressible ? gzipSync(body) : undefined, immutable };
}
