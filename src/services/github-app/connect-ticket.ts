import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SecretBox } from './secret-box.ts';

/** How long a `glimpse github connect` link, and the trip to GitHub and back, may take. */
export const CONNECT_TICKET_TTL_MS = 60 * 60 * 1000;

export const ConnectTicket = z.object({
  /** `start`: the link `glimpse github connect` prints; `state`: what travels through GitHub to the callback. */
  purpose: z.enum(['start', 'state']),
  expiresAt: z.number(),
  organization: z.string().optional(),
  name: z.string().optional(),
  nonce: z.string(),
});
export type ConnectTicket = z.infer<typeof ConnectTicket>;

/** A signed, expiring ticket: `<payload>.<signature>`, both base64url. */
export function issueTicket(
  box: SecretBox,
  fields: Omit<ConnectTicket, 'expiresAt' | 'nonce'>,
  nowMs: number,
): string {
  const ticket: ConnectTicket = {
    ...fields,
    expiresAt: nowMs + CONNECT_TICKET_TTL_MS,
    nonce: randomBytes(12).toString('base64url'),
  };
  const payload = Buffer.from(JSON.stringify(ticket)).toString('base64url');
  return `${payload}.${box.sign(payload)}`;
}

/** The ticket, when it is signed with this key, unexpired and for this purpose; else undefined. */
export function readTicket(
  box: SecretBox,
  text: string,
  purpose: ConnectTicket['purpose'],
  nowMs: number,
): ConnectTicket | undefined {
  const [payload, signature, extra] = text.split('.');
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  if (!box.verify(payload, signature)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ConnectTicket.safeParse(json);
  if (!parsed.success || parsed.data.purpose !== purpose || parsed.data.expiresAt <= nowMs) return undefined;
  return parsed.data;
}
