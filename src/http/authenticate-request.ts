import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { Forbidden, Unauthorized } from '../domain/errors.ts';
import { authenticateToken, principalOfUser } from '../services/auth/authenticate-token.ts';
import type { Principal } from '../services/auth/principal.ts';
import { errorBody } from './error-response.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { CSRF_HEADER, readCookie, SESSION_COOKIE, type SessionSealer } from './session-cookie.ts';

const principals = new WeakMap<FastifyRequest, Principal>();
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthenticationDeps {
  db: Database;
  sessions: SessionSealer | undefined;
  rateLimiter: RateLimiter | undefined;
  now: () => Date;
}

/**
 * An onRequest hook: a bearer token or a session cookie makes the principal; without either, 401.
 * A session request that changes something must echo the session's CSRF token in `x-csrf-token`
 * (a bearer token needs none: browsers never attach it on their own). Then the per-token rate limit.
 */
export function authenticateRequests(deps: AuthenticationDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let principal: Principal;
    try {
      principal = await authenticate(deps, request);
    } catch (error) {
      if (!(error instanceof Unauthorized)) throw error;
      await reply
        .status(401)
        .header('www-authenticate', bearerChallenge(request))
        .send(errorBody(error.code, error.message));
      return;
    }
    if (deps.rateLimiter !== undefined) {
      const verdict = deps.rateLimiter.take(principal.tokenId ?? `user:${principal.userId}`);
      if (!verdict.allowed) {
        await reply
          .status(429)
          .header('retry-after', String(verdict.retryAfterSeconds))
          .send(
            errorBody(
              'RATE_LIMITED',
              `Too many requests with this token: wait ${verdict.retryAfterSeconds} s before trying again.`,
            ),
          );
        return;
      }
    }
    principals.set(request, principal);
  };
}

/**
 * The RFC 6750 challenge of a 401: clients (MCP ones among them) read it to learn that a bearer token is
 * the way in; `invalid_token` when one was sent and refused.
 */
function bearerChallenge(request: FastifyRequest): string {
  return request.headers.authorization === undefined
    ? 'Bearer realm="glimpse"'
    : 'Bearer realm="glimpse", error="invalid_token"';
}

async function authenticate(deps: AuthenticationDeps, request: FastifyRequest): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (match?.[1] === undefined)
      throw new Unauthorized('The Authorization header must be "Bearer <token>" with a Glimpse API token.');
    return authenticateToken(deps.db, match[1], deps.now());
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  const session = cookie === undefined ? undefined : deps.sessions?.unseal(cookie, deps.now().getTime());
  if (session === undefined)
    throw new Unauthorized(
      'Sign in first: send "Authorization: Bearer <token>" (create one with "glimpse tokens create <login>") or sign in with GitHub.',
    );
  if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrf)
    throw new Forbidden(
      `This request needs the ${CSRF_HEADER} header of your session (GET /api/v1/me gives it).`,
    );
  return principalOfUser(deps.db, session.userId);
}

/** The principal the hook found; only call in routes behind it. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw new Unauthorized('This request is not authenticated.');
  return principal;
}

/** The CSRF token of the request's session, if it came with one (for clients to echo). */
export function csrfTokenOf(deps: AuthenticationDeps, request: FastifyRequest): string | undefined {
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  return cookie === undefined ? undefined : deps.sessions?.unseal(cookie, deps.now().getTime())?.csrf;
}
