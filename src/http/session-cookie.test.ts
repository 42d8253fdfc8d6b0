import { describe, expect, it } from 'vitest';
import { createSessionSealer, newSession, readCookie, sessionCookieHeader } from './session-cookie.ts';

describe('session cookie', () => {
  const sealer = createSessionSealer('a secret of some length');
  const session = newSession('user-1', 1_000);

  it('round-trips a session and hides its content', () => {
    const sealed = sealer.seal(session);
    expect(sealed).not.toContain('user-1');
    expect(sealer.unseal(sealed, 2_000)).toEqual(session);
  });

  it('refuses an altered cookie, another key and an expired session', () => {
    const sealed = sealer.seal(session);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[2] = body.toString('base64url');
    expect(sealer.unseal(parts.join('.'), 2_000)).toBeUndefined();
    expect(createSessionSealer('another secret').unseal(sealed, 2_000)).toBeUndefined();
    expect(sealer.unseal(sealed, session.expiresAt)).toBeUndefined();
    expect(sealer.unseal('garbage', 2_000)).toBeUndefined();
  });

  it('writes an httpOnly, SameSite=Lax cookie, Secure only when asked', () => {
    expect(sessionCookieHeader('v', { secure: false, maxAgeSeconds: 60 })).toBe(
      'glimpse_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60',
    );
    expect(sessionCookieHeader('v', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
    expect(readCookie('a=1; glimpse_session=xyz; b=2', 'glimpse_session')).toBe('xyz');
  });
});
