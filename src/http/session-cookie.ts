import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Sessions live in the cookie itself, sealed with AES-256-GCM (encrypted and authenticated in one):
 * `v1.<iv>.<ciphertext>.<tag>` in base64url. Nothing is stored on the server; a changed secret signs
 * everyone out. The CSRF token travels inside, so a request must echo it in `x-csrf-token`.
 */
export const SESSION_COOKIE = 'glimpse_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;

export const Session = z.object({ userId: z.string(), csrf: z.string(), expiresAt: z.number() });
export type Session = z.infer<typeof Session>;

export interface SessionSealer {
  seal(session: Session): string;
  /** The session, or undefined when the cookie was forged, altered, sealed with another key, or expired. */
  unseal(cookie: string, nowMs: number): Session | undefined;
}

export function createSessionSealer(secret: string): SessionSealer {
  const key = createHash('sha256').update(`glimpse-session:${secret}`).digest();
  return {
    seal(session) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(session), 'utf8'), cipher.final()]);
      return ['v1', iv, body, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    unseal(cookie, nowMs) {
      const [version, iv, body, tag] = cookie.split('.');
      if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const text = Buffer.concat([
          decipher.update(Buffer.from(body, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
        const parsed = Session.safeParse(JSON.parse(text));
        if (!parsed.success || parsed.data.expiresAt <= nowMs) return undefined;
        return parsed.data;
      } catch {
        return undefined;
      }
    },
  };
}

export function newSession(userId: string, nowMs: number): Session {
  return {
    userId,
    csrf: randomBytes(24).toString('base64url'),
    expiresAt: nowMs + SESSION_TTL_SECONDS * 1000,
  };
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export function sessionCookieHeader(
  value: string,
  options: { secure: boolean; maxAgeSeconds: number },
): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
