import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedactor } from './redactor.ts';

const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString()
  .trim();
const keyLines = pem.split('\n').slice(1, -1);

describe('createRedactor', () => {
  it('removes the exact values of secrets, also trimmed and JSON-escaped', () => {
    const secret = 'webhook-secret-😀-\n-value';
    const out = createRedactor([secret, 'x', undefined]).redact(`a ${secret} b ${JSON.stringify(secret)} c`);
    expect(out).not.toContain('webhook-secret');
    expect(out).toContain(' c');
  });

  it('removes each line of a multi-line secret printed on its own, as line-by-line output does', () => {
    const redactor = createRedactor([pem]);
    for (const line of keyLines) {
      const out = redactor.redact(`2024-01-01T00:00:00Z [start] ${line}`);
      expect(out).toBe('2024-01-01T00:00:00Z [start] [REDACTED]');
    }
  });

  it('removes pieces of 16 or more characters of a secret wherever they appear, keeping the text around', () => {
    const secret = 'sEcReT-0123456789-abcdefghij-KLMNOP';
    const redactor = createRedactor([secret]);
    expect(redactor.redact(`head=${secret.slice(0, 16)}`)).toBe('head=[REDACTED]');
    expect(redactor.redact(`tail=${secret.slice(-20)} and more`)).toBe('tail=[REDACTED] and more');
    expect(redactor.redact(`two ${secret.slice(2, 20)} then ${secret.slice(10, 30)}.`)).toBe(
      'two [REDACTED] then [REDACTED].',
    );
    // Shorter pieces say nothing useful about the secret and would shred ordinary text.
    expect(redactor.redact(`short ${secret.slice(0, 15)}`)).toBe(`short ${secret.slice(0, 15)}`);
  });

  it('removes a key read from /proc/<pid>/environ (NUL-separated, escaped or real line breaks)', () => {
    const redactor = createRedactor([pem]);
    const environ = `HOME=/root\0GITHUB_PRIVATE_KEY=${pem.replace(/\n/g, '\\n')}\0PATH=/bin\0`;
    const out = redactor.redact(environ);
    for (const line of keyLines) expect(out).not.toContain(line.slice(0, 16));
    expect(out).toContain('PATH=/bin');
    const multiLine = redactor.redact(`GITHUB_PRIVATE_KEY=${pem}\0PATH=/bin`);
    for (const line of keyLines) expect(multiLine).not.toContain(line.slice(0, 16));
  });

  it('still removes credential-looking text that is not one of its secrets', () => {
    expect(createRedactor([]).redact('clone https://x-access-token:v1.abc123@github.com/a/b')).not.toContain(
      'v1.abc123',
    );
  });
});
