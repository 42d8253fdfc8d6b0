import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { NotFound, Unauthorized } from '../../domain/errors.ts';
import type { GithubOAuth } from '../../github/github-oauth.ts';
import { recordGithubSignIn, redeemBootstrapToken } from '../../services/auth/sign-in.ts';
import { parseInput } from '../../services/parse-input.ts';
import {
  newSession,
  readCookie,
  SESSION_TTL_SECONDS,
  type SessionSealer,
  sessionCookieHeader,
} from '../session-cookie.ts';

const STATE_COOKIE = 'glimpse_oauth_state';

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

  http.get('/auth/github/login', async (_request, reply) => {
    sessionsOf();
    const state = randomBytes(24).toString('base64url');
    const cookie = `${STATE_COOKIE}=${state}; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=600${secure ? '; Secure' : ''}`;
    return reply.header('set-cookie', cookie).redirect(oauthOf().authorizeUrl(state, callbackUrl));
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
    startSession(reply, userId, [`${STATE_COOKIE}=; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=0`]);
    return reply.redirect('/');
  });

  http.post('/auth/bootstrap', async (request, reply) => {
    sessionsOf();
    const body = parseInput(z.object({ token: z.string().min(1) }), request.body, 'request body');
    const userId = await redeemBootstrapToken(deps.db, body.token);
    const session = startSession(reply, userId);
    return { signedIn: true, csrfToken: session.csrf };
  });

  http.post('/auth/logout', async (_request, reply) => {
    void reply.header('set-cookie', sessionCookieHeader('', { secure, maxAgeSeconds: 0 }));
    return { signedIn: false };
  });
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
