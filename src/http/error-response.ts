import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';

/** The one error shape of every Glimpse route: `{"error":{"code","message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

const STATUS_OF: Record<DomainErrorCode, number> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

const CODE_OF_STATUS: Record<number, string> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Maps domain errors and Fastify's own errors to status codes; anything unexpected is a logged 500. */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof DomainError) {
    const status = STATUS_OF[error.code];
    if (status >= 500) request.log.warn({ err: error }, 'request failed: dependency unavailable');
    void reply.status(status).send(errorBody(error.code, error.message));
    return;
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    void reply.status(status).send(errorBody(CODE_OF_STATUS[status] ?? 'INVALID_INPUT', error.message));
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply
    .status(500)
    .send(errorBody('INTERNAL', 'Glimpse failed to handle this request; the server log has details.'));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .status(404)
    .send(errorBody('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`));
}
