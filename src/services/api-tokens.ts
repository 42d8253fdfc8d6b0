import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { and, asc, eq, isNull } from '../db/drizzle-orm.ts';
import { type API_TOKEN_KINDS, apiTokens, users } from '../db/schema.ts';
import { InvalidInput, NotFound } from '../domain/errors.ts';
import { findUserByLogin } from './users.ts';

/** Recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'glp_';

export interface CreatedToken {
  id: string;
  name: string;
  login: string;
  /** Shown once; only its hash is stored. */
  token: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(30).toString('base64url')}`;
}

export async function createApiToken(
  db: Database,
  input: { login: string; name?: string | undefined; kind?: (typeof API_TOKEN_KINDS)[number] },
): Promise<CreatedToken> {
  const user = await findUserByLogin(db, input.login);
  const token = generateToken();
  const name = input.name ?? `${user.githubLogin}'s token`;
  const [row] = await db
    .insert(apiTokens)
    .values({
      userId: user.id,
      name,
      kind: input.kind ?? 'api',
      tokenHash: hashToken(token),
      displayPrefix: token.slice(0, TOKEN_PREFIX.length + 4),
    })
    .returning({ id: apiTokens.id });
  if (row === undefined) throw new Error('inserting the token returned no row');
  return { id: row.id, name, login: user.githubLogin, token };
}

export async function revokeApiToken(db: Database, id: string): Promise<{ id: string }> {
  if (!/^[0-9a-f-]{36}$/i.test(id))
    throw new InvalidInput(`"${id}" is not a token id (ids look like 3f2b…, a UUID).`);
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (row === undefined) throw new NotFound(`No active token with id ${id}.`);
  return row;
}

export interface TokenSummary {
  id: string;
  login: string;
  name: string;
  kind: (typeof API_TOKEN_KINDS)[number];
  /** The first characters of the token, to tell tokens apart; never the token. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Every API token (revoked ones too, marked), oldest first; one user's with `login`. */
export async function listApiTokens(db: Database, filter: { login?: string } = {}): Promise<TokenSummary[]> {
  const user = filter.login === undefined ? undefined : await findUserByLogin(db, filter.login);
  return db
    .select({
      id: apiTokens.id,
      login: users.githubLogin,
      name: apiTokens.name,
      kind: apiTokens.kind,
      prefix: apiTokens.displayPrefix,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(user === undefined ? undefined : eq(apiTokens.userId, user.id))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}
