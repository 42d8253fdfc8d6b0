import { randomUUID } from 'node:crypto';
import { signBody } from '../../src/domain/verify-signature.ts';
import { deepMerge, loadWebhookExample, type Overrides } from '../../src/github/webhook-examples.ts';

export { deepMerge, loadWebhookExample, type Overrides };

/** Signs and posts real GitHub webhook payloads (from @octokit/webhooks-examples) to a listening server. */

type WebhookHeader = 'x-github-event' | 'x-github-delivery' | 'x-hub-signature-256' | 'content-type';

export interface SendWebhookOptions {
  url: string;
  secret: string;
  event: string;
  action?: string;
  /** Which of the matching examples to start from (default the first). */
  exampleIndex?: number;
  overrides?: Overrides;
  /** Defaults to a random UUID. */
  deliveryId?: string;
  /** Sent verbatim instead of an example payload (signed unless `signature` says otherwise). */
  rawBody?: string;
  /** A signature header value to send instead of the correct one. */
  signature?: string;
  omitHeaders?: WebhookHeader[];
  headers?: Record<string, string>;
}

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, else the text. */
  body: unknown;
  deliveryId: string;
  /** The exact bytes that were sent. */
  sentBody: string;
}

export async function sendWebhook(options: SendWebhookOptions): Promise<WebhookResponse> {
  const sentBody =
    options.rawBody ??
    JSON.stringify(
      deepMerge(
        loadWebhookExample(options.event, options.action, options.exampleIndex),
        options.overrides ?? {},
      ),
    );
  const deliveryId = options.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': options.event,
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': options.signature ?? signBody(options.secret, sentBody),
    'user-agent': 'GitHub-Hookshot/glimpse-test',
    ...options.headers,
  };
  for (const name of options.omitHeaders ?? []) delete headers[name];
  const response = await fetch(options.url, { method: 'POST', headers, body: sentBody });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0)
    body = JSON.parse(text);
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body,
    deliveryId,
    sentBody,
  };
}
