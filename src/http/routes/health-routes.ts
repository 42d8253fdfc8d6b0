import type { FastifyInstance } from 'fastify';

export type Readiness = { ready: true; details: Record<string, string> } | { ready: false; reason: string };

/** Liveness (the process answers) and readiness (the database answers and is migrated). */
export function registerHealthRoutes(app: FastifyInstance, checkReadiness: () => Promise<Readiness>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const readiness = await checkReadiness();
    if (readiness.ready) return { status: 'ok', details: readiness.details };
    return reply.status(503).send({ status: 'unavailable', reason: readiness.reason });
  });
}
