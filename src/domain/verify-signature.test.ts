import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './verify-signature.ts';

describe('verifySignature', () => {
  const body = Buffer.from('{"action":"opened"}');

  it('accepts the signature GitHub computes', () => {
    // Known answer: HMAC-SHA256 of the body with key "It's a Secret to Everybody".
    const secret = "It's a Secret to Everybody";
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifySignature(secret, Buffer.from('Hello, World!'), header)).toBe(true);
    expect(verifySignature('secret', body, signBody('secret', body))).toBe(true);
  });

  it('rejects a missing, malformed, truncated or wrong signature, and a changed body', () => {
    const good = signBody('secret', body);
    expect(verifySignature('secret', body, undefined)).toBe(false);
    expect(verifySignature('secret', body, 'sha1=abc')).toBe(false);
    expect(verifySignature('secret', body, good.slice(0, -2))).toBe(false);
    expect(verifySignature('other', body, good)).toBe(false);
    expect(verifySignature('secret', Buffer.from('{"action":"closed"}'), good)).toBe(false);
    expect(verifySignature('secret', body, 'sha256=not-hex-at-all')).toBe(false);
  });
});
