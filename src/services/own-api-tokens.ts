import type { Database } from '../db/database.ts';
import { and, desc, eq, isNull } from '../db/drizzle-orm.ts';
import { apiTokens } from '../db/schema.ts';
import { NotFound } from '../domain/errors.ts';
import { createApiToken, revokeApiToken } from './api-tokens.ts';
import type { Principal } from './auth/principal.ts';
import type { CreatedTokenView, TokenList } from './dashboard-schemas.ts';

/** The principal's API tokens that still work (never the token itself: only its hash is kept). */
export async function listOwnTokens(db: Database, principal: Principal): Promise<TokenList> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(
      and(eq(apiTokens.userId, principal.userId), eq(apiTokens.kind, 'api'), isNull(apiTokens.revokedAt)),
    )
    .orderBy(desc(apiTokens.createdAt));
  return {
    items: rows.map((row) => ({
      id: row.id,
      name: row.name,
      prefix: row.displayPrefix,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

/** A new API token for the principal, shown once. */
export async function createOwnToken(
  db: Database,
  principal: Principal,
  name: string,
): Promise<CreatedTokenView> {
  const created = await createApiToken(db, { login: principal.login, name });
  return {
    id: created.id,
    name: created.name,
    prefix: created.token.slice(0, 8),
    createdAt: new Date().toISOString(),
    lastUsedAt: null,
    token: created.token,
  };
}

/** Revokes one of the principal's own tokens; someone else's is NotFound, as if it did not exist. */
export async function revokeOwnToken(
  db: Database,
  principal: Principal,
  id: string,
): Promise<{ id: string; revoked: true }> {
  const [row] = await db
    .select({ userId: apiTokens.userId })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, id), eq(apiTokens.kind, 'api')));
  if (row === undefined || row.userId !== principal.userId)
    throw new NotFound(`You have no token with id ${id}.`);
  await revokeApiToken(db, id);
  return { id, revoked: true };
}
