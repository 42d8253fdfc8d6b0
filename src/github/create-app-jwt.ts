import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { InvalidInput } from '../domain/errors.ts';

/** Parses the App's private key once, with a message that says how to fix a bad value. */
export function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw new InvalidInput(
      'The GitHub App private key is not a PEM key: paste the .pem file GitHub gave you for the App',
      { cause },
    );
  }
}

/**
 * A GitHub App JWT (RS256). Issued 60 s in the past against clock drift and valid for 9 more minutes:
 * GitHub refuses tokens that live longer than 10 minutes.
 */
export function createAppJwt(appId: number | string, key: KeyObject, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const data = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 540, iss: String(appId) })}`;
  const signature = createSign('RSA-SHA256').update(data).sign(key).toString('base64url');
  return `${data}.${signature}`;
}
