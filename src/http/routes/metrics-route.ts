import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import { errorBody } from '../error-response.ts';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` in the Prometheus text format. With a token (GLIMPSE_METRICS_TOKEN), only a request that
 * presents it as `Authorization: Bearer <token>` is answered.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  deps: { metrics: GlimpseMetrics; token: string | undefined },
): void {
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  app.get(METRICS_PATH, async (request, reply) => {
    if (expected !== undefined) {
      const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return reply
          .status(401)
          .header('www-authenticate', 'Bearer')
          .send(
            errorBody(
              'UNAUTHORIZED',
              'Send the metrics token: Authorization: Bearer <GLIMPSE_METRICS_TOKEN>.',
            ),
          );
      }
    }
    const { contentType, body } = await deps.metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}

/** Equal-length digests, so the comparison takes the same time whatever the token's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
