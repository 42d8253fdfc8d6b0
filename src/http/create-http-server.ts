import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../logger.ts';
import { handleError, handleNotFound } from './error-response.ts';

export interface HttpServerOptions {
  logger: Logger;
  /** GitHub's own limit for a webhook delivery; no route takes more. */
  bodyLimitBytes?: number;
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes ?? 25 * 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    // Answer in-flight requests on shutdown, but let idle keep-alive connections go at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Longer than any parameter a route accepts (percent-encoded, a 100-character one can take 900 bytes), so
    // an over-long one reaches the route's schema and is a 400 naming it, not the router's 414.
    routerOptions: { maxParamLength: 1_000 },
  });
  // Responses still in flight at shutdown close their connection, so close() does not wait on keep-alive.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  return app;
}
