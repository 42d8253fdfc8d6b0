const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}' +
  'h1{font-size:1.4rem}a{color:#0969da}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1>${body}</body></html>\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** For a host that names no preview: says nothing about which previews exist. */
export function notFoundPage(): string {
  return page('No preview here', '<p>There is no preview environment at this address.</p>');
}

export type UnavailableReason = 'building' | 'failed' | 'restarting';

/** For a preview that exists but cannot answer right now, linking to its page in Glimpse. */
export function unavailablePage(
  namespace: string,
  reason: UnavailableReason,
  environmentUrl: string,
): string {
  const link = `<p><a href="${escapeHtml(environmentUrl)}">See ${escapeHtml(namespace)} in Glimpse</a> for its status and logs.</p>`;
  if (reason === 'building') {
    return page(
      'This preview is being built',
      `<p>It will appear here once it is ready. Reload in a moment.</p>${link}`,
    );
  }
  if (reason === 'restarting') {
    return page(
      'This preview is restarting',
      `<p>Its process stopped and is being started again.</p>${link}`,
    );
  }
  return page('This preview failed', `<p>The preview could not be built or started.</p>${link}`);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** A complete HTTP/1.1 response carrying `html` (no body for a HEAD request). */
export function pageResponse(
  status: number,
  html: string,
  options: { close: boolean; head: boolean },
): string {
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Content-Type: text/html; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(html)}\r\n` +
    'Cache-Control: no-store\r\n' +
    (status === 503 ? 'Retry-After: 5\r\n' : '') +
    (options.close ? 'Connection: close\r\n' : '') +
    `\r\n${options.head ? '' : html}`
  );
}

/** The page for a request the proxy refuses to read (malformed, too large, CONNECT). */
export function refusedPage(status: number): string {
  const why =
    status === 408 ? 'The request took too long to arrive.' : 'The proxy could not read this request.';
  return page(REASONS[status] ?? 'Error', `<p>${why}</p>`);
}
