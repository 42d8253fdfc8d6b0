import { randomUUID } from 'node:crypto';
import { signBody } from '../../src/domain/verify-signature.ts';
import { deepMerge, loadWebhookExample } from '../../test/support/webhook-sender.ts';

/** One webhook delivery as GitHub would send it: signed ahead of time, so signing is not part of the timing. */
export interface SignedDelivery {
  id: string;
  event: string;
  body: Buffer;
  signature: string;
}

export function signDelivery(secret: string, event: string, payload: unknown): SignedDelivery {
  const body = Buffer.from(JSON.stringify(payload));
  return { id: randomUUID(), event, body, signature: signBody(secret, body) };
}

/** The real `pull_request` `synchronize` example; its repository is the one the installation connects. */
const prExample = loadWebhookExample('pull_request', 'synchronize');
const repository = prExample.repository as { id: number; full_name: string };

/** `installation` `created` for the account that owns the example repository, connecting that repository. */
export function installationDelivery(secret: string): SignedDelivery {
  return signDelivery(
    secret,
    'installation',
    deepMerge(loadWebhookExample('installation', 'created'), {
      repositories: [{ id: repository.id, full_name: repository.full_name }],
    }),
  );
}

const START = Date.parse('2025-01-01T00:00:00Z');

/**
 * `count` synchronize deliveries spread over `prs` pull requests, from global index `from` on. Delivery `i`
 * pushes commit `i` to PR `i % prs + 1` one second after delivery `i - 1`, so each one is a real state change.
 */
export function synchronizeDeliveries(
  secret: string,
  options: { from: number; count: number; prs: number },
): SignedDelivery[] {
  const deliveries: SignedDelivery[] = [];
  for (let i = options.from; i < options.from + options.count; i++) {
    const number = (i % options.prs) + 1;
    const payload = deepMerge(prExample, {
      number,
      pull_request: {
        number,
        updated_at: new Date(START + i * 1000).toISOString(),
        head: { sha: i.toString(16).padStart(40, '0'), ref: `feature-${number}` },
      },
    });
    deliveries.push(signDelivery(secret, 'pull_request', payload));
  }
  return deliveries;
}
