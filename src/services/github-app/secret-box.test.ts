import { describe, expect, it } from 'vitest';
import { issueTicket, readTicket } from './connect-ticket.ts';
import { createSecretBox } from './secret-box.ts';

const box = createSecretBox('a'.repeat(40));

describe('the secret box', () => {
  it('opens what it sealed, and nothing sealed with another key or changed', () => {
    const sealed = box.seal('-----BEGIN RSA PRIVATE KEY-----');
    expect(sealed).not.toContain('PRIVATE');
    expect(box.open(sealed)).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(box.seal('same')).not.toBe(box.seal('same'));
    expect(createSecretBox('b'.repeat(40)).open(sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(box.open(bytes.toString('base64'))).toBeUndefined();
    expect(box.open('short')).toBeUndefined();
  });

  it('reads a ticket it issued, for its purpose and until it expires', () => {
    const ticket = issueTicket(box, { purpose: 'start', organization: 'acme' }, 1_000);
    expect(readTicket(box, ticket, 'start', 2_000)).toMatchObject({ purpose: 'start', organization: 'acme' });
    expect(readTicket(box, ticket, 'state', 2_000)).toBeUndefined();
    expect(readTicket(box, ticket, 'start', 1_000 + 60 * 60 * 1000)).toBeUndefined();
    expect(readTicket(createSecretBox('b'.repeat(40)), ticket, 'start', 2_000)).toBeUndefined();
    const [payload] = ticket.split('.');
    expect(readTicket(box, `${payload}.${box.sign('other')}`, 'start', 2_000)).toBeUndefined();
  });
});
