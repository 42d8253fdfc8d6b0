import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sanitize } from './sanitize.ts';

const tokenBody = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';

describe('sanitize', () => {
  it.each(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])('removes %s_ GitHub tokens', (prefix) => {
    const out = sanitize(`failed with ${prefix}_${tokenBody} while cloning`);
    expect(out).not.toContain(tokenBody);
    expect(out).toBe('failed with [REDACTED] while cloning');
  });

  it('removes fine-grained github_pat_ tokens', () => {
    const out = sanitize(`use github_pat_11ABCDEFG0_${tokenBody} please`);
    expect(out).toBe('use [REDACTED] please');
  });

  it('removes x-access-token and any user:password in URLs', () => {
    const out = sanitize(
      'fatal: https://x-access-token:v1.abcdef0123456789@github.com/acme/web.git and postgres://glimpse:hunter22@db:5432/x',
    );
    expect(out).not.toContain('v1.abcdef0123456789');
    expect(out).not.toContain('hunter22');
    expect(out).toContain('https://[REDACTED]@github.com/acme/web.git');
    expect(out).toContain('postgres://[REDACTED]@db:5432/x');
  });

  it('removes Bearer and token authorization values', () => {
    const out = sanitize(
      'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig\ncurl -H "authorization: token abc123secretvalue"\nsent token 0123456789abcdefABCDEF0123',
    );
    expect(out).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(out).not.toContain('abc123secretvalue');
    expect(out).not.toContain('0123456789abcdefABCDEF0123');
  });

  it('keeps ordinary prose that mentions tokens', () => {
    expect(sanitize('the token expired, push again')).toBe('the token expired, push again');
  });

  it('removes PEM private key blocks, even when cut off', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const body = pem.split('\n')[1] ?? '';
    expect(sanitize(`key:\n${pem}\ndone`)).not.toContain(body);
    expect(sanitize(`key:\n${pem}\ndone`)).toContain('done');
    expect(sanitize(`truncated ${pem.slice(0, 200)}`)).not.toContain(body.slice(0, 40));
  });
});
