import { type KeyObject, verify } from 'node:crypto';

/**
 * Verifies a GitHub App JWT (RS256) the way GitHub does: signature, `iss` = App id, `iat` not in the
 * future (60 s of skew allowed), `exp` in the future and at most 10 minutes after `iat`.
 * Returns undefined when valid, else the reason.
 */
export function verifyAppJwt(
  jwt: string,
  publicKey: KeyObject,
  appId: number,
  nowMs: number,
): string | undefined {
  const [header, payload, signature, extra] = jwt.split('.');
  if (!header || !payload || !signature || extra !== undefined)
    return 'A JSON web token could not be decoded';
  const parsedHeader = parse(header);
  if (parsedHeader?.alg !== 'RS256') return "'alg' must be RS256";
  const valid = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) return 'A JSON web token could not be decoded';
  const claims = parse(payload);
  const now = Math.floor(nowMs / 1000);
  if (!claims || String(claims.iss) !== String(appId)) return "'Issuer' claim ('iss') must be the App id";
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!Number.isFinite(iat) || iat > now + 60)
    return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
  if (!Number.isFinite(exp) || exp <= now)
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time";
  if (exp - iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
  return undefined;
}

function parse(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
