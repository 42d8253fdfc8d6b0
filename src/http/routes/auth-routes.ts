import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { NotFound, Unauthorized } from '../../domain/errors.ts';
import type { GithubOAuth } from '../../github/github-oauth.ts';
import { recordGithubSignIn, redeemBootstrapToken, signInWithToken } from '../../services/auth/sign-in.ts';
import { parseInput } from '../../services/parse-input.ts';
import {
  newSession,
  readCookie,
  SESSION_TTL_SECONDS,
  type SessionSealer,
  sessionCookieHeader,
} from '../session-cookie.ts';

const STATE_COOKIE = 'glimpse_oauth_state';
const RETURN_COOKIE = 'glimpse_return_to';

/** A path on this server to go back to after signing in; anything else (another host, `//x`) is `/`. */
export function safeReturnPath(value: string | undefined): string {
  if (value === undefined || !/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return '/';
  return value;
}

export interface AuthRouteDeps {
  db: Database;
  sessions: SessionSealer | undefined;
  oauth: GithubOAuth | undefined;
  publicUrl: string;
  now: () => Date;
}

/**
 * Signing in: GitHub's OAuth web flow (`/auth/github/login` -> GitHub -> `/auth/github/callback`), or once
 * with the bootstrap token (`POST /auth/bootstrap`). Both end in a sealed session cookie.
 */
export function registerAuthRoutes(http: FastifyInstance, deps: AuthRouteDeps): void {
  const secure = deps.publicUrl.startsWith('https://');
  const callbackUrl = `${deps.publicUrl}/auth/github/callback`;
  const sessionsOf = () => {
    if (deps.sessions === undefined) throw new NotFound('Signing in is not enabled on this server.');
    return deps.sessions;
  };
  const oauthOf = () => {
    if (deps.oauth === undefined)
      throw new NotFound('GitHub sign-in is not configured: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.');
    return deps.oauth;
  };
  const startSession = (reply: FastifyReply, userId: string, extra: string[] = []) => {
    const session = newSession(userId, deps.now().getTime());
    const cookie = sessionCookieHeader(sessionsOf().seal(session), {
      secure,
      maxAgeSeconds: SESSION_TTL_SECONDS,
    });
    void reply.header('set-cookie', [cookie, ...extra]);
    return session;
  };

  http.get('/auth/methods', async () => ({
    github: deps.sessions !== undefined && deps.oauth !== undefined,
    token: deps.sessions !== undefined,
  }));

  http.get('/auth/github/login', async (request, reply) => {
    sessionsOf();
    const state = randomBytes(24).toString('base64url');
    const { returnTo } = parseInput(
      z.object({ returnTo: z.string().max(2000).optional() }),
      request.query,
      'query',
    );
    const flags = `Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=600${secure ? '; Secure' : ''}`;
    const back = encodeURIComponent(safeReturnPath(returnTo));
    return reply
      .header('set-cookie', [`${STATE_COOKIE}=${state}; ${flags}`, `${RETURN_COOKIE}=${back}; ${flags}`])
      .redirect(oauthOf().authorizeUrl(state, callbackUrl));
  });

  http.get('/auth/github/callback', async (request, reply) => {
    const query = parseInput(
      z.object({ code: z.string().min(1), state: z.string().min(1) }),
      request.query,
      'callback',
    );
    const expected = readCookie(request.headers.cookie, STATE_COOKIE);
    if (expected === undefined || !sameText(expected, query.state))
      throw new Unauthorized(
        'The sign-in took too long or came from elsewhere: start it again at /auth/github/login.',
      );
    const oauth = oauthOf();
    const accessToken = await oauth.exchangeCode(query.code, callbackUrl);
    const userId = await recordGithubSignIn(deps.db, await oauth.identity(accessToken));
    const back = readCookie(request.headers.cookie, RETURN_COOKIE);
    startSession(reply, userId, [
      `${STATE_COOKIE}=; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=0`,
      `${RETURN_COOKIE}=; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=0`,
    ]);
    return reply.redirect(safeReturnPath(decodeCookieValue(back)));
  });

  http.post('/auth/bootstrap', async (request, reply) => {
    sessionsOf();
    const body = parseInput(z.object({ token: z.string().min(1) }), request.body, 'request body');
    const userId = await redeemBootstrapToken(deps.db, body.token);
    const session = startSession(reply, userId);
    return { signedIn: true, csrfToken: session.csrf };
  });

  http.post('/auth/token', async (request, reply) => {
    sessionsOf();
    const body = parseInput(z.object({ token: z.string().min(1).max(200) }), request.body, 'request body');
    const userId = await signInWithToken(deps.db, body.token, deps.now());
    const session = startSession(reply, userId);
    return { signedIn: true, csrfToken: session.csrf };
  });

  http.post('/auth/logout', async (_request, reply) => {
    void reply.header('set-cookie', sessionCookieHeader('', { secure, maxAgeSeconds: 0 }));
    return { signedIn: false };
  });
}

function decodeCookieValue(value: string | undefined): string | undefined {
  try {
    return value === undefined ? undefined : decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
