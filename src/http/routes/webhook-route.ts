import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifySignature } from '../../domain/verify-signature.ts';
import type { GlimpseMetrics, WebhookOutcome } from '../../metrics/glimpse-metrics.ts';
import { HANDLED_EVENTS, type ReceiveDelivery } from '../../services/webhooks/receive-delivery.ts';
import { errorBody } from '../error-response.ts';

export const WEBHOOK_PATH = '/api/github/webhook';

/**
 * GitHub's deliveries. The signature is checked over the raw bytes before anything is parsed; every validly
 * signed delivery gets a 2xx, also when it is ignored, because the work itself happens in the controller.
 */
export function registerWebhookRoute(
  app: FastifyInstance,
  deps: { receiveDelivery: ReceiveDelivery; secret: string; metrics?: GlimpseMetrics | undefined },
): void {
  const outcomes = new WeakMap<FastifyRequest, WebhookOutcome>();
  const { metrics } = deps;
  void app.register(async (scope) => {
    if (metrics !== undefined) {
      // Counted once answered, whatever the answer: refused before the handler ran (a body too large) is
      // `rejected`, a delivery that failed with a 5xx an `error`.
      scope.addHook('onResponse', async (request, reply) => {
        const event = request.headers['x-github-event'];
        const outcome = outcomes.get(request) ?? (reply.statusCode < 500 ? 'rejected' : 'error');
        metrics.webhookAnswered(
          typeof event === 'string' && HANDLED_EVENTS.has(event) ? event : 'other',
          reply.statusCode >= 500 ? 'error' : outcome,
          reply.elapsedTime / 1000,
        );
      });
    }
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(WEBHOOK_PATH, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-hub-signature-256'];
      outcomes.set(request, 'rejected');
      if (!verifySignature(deps.secret, raw, typeof signature === 'string' ? signature : undefined)) {
        return reply
          .status(401)
          .send(errorBody('UNAUTHORIZED', 'Missing or wrong X-Hub-Signature-256: check the webhook secret.'));
      }
      const event = request.headers['x-github-event'];
      const deliveryId = request.headers['x-github-delivery'];
      if (typeof event !== 'string' || event === '' || typeof deliveryId !== 'string' || deliveryId === '') {
        return reply
          .status(400)
          .send(
            errorBody('INVALID_INPUT', 'A delivery needs the X-GitHub-Event and X-GitHub-Delivery headers.'),
          );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply.status(400).send(errorBody('INVALID_INPUT', 'The delivery body is not JSON.'));
      }
      const log = request.log.child({ delivery: deliveryId, event });
      const result = await deps.receiveDelivery({ id: deliveryId, event, payload });
      if ('duplicate' in result) {
        outcomes.set(request, 'duplicate');
        log.info('webhook redelivered; already handled');
        return reply.status(200).send({ duplicate: true });
      }
      if (result.outcome === 'ignored') {
        outcomes.set(request, 'ignored');
        log.info({ reason: result.reason }, 'webhook ignored');
        return reply.status(200).send({ ignored: result.reason });
      }
      log.info({ environments: result.environmentIds }, 'webhook received');
      // 202 when environment work was queued for the controller; 200 when the delivery was complete in itself.
      const queued = result.environmentIds.length > 0;
      outcomes.set(request, queued ? 'queued' : 'applied');
      return reply.status(queued ? 202 : 200).send({ accepted: true, environments: result.environmentIds });
    });
  });
}
