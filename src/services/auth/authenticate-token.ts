import type { Database } from '../../db/database.ts';
import { and, eq, isNull, sql } from '../../db/drizzle-orm.ts';
import { apiTokens, users } from '../../db/schema.ts';
import { Unauthorized } from '../../domain/errors.ts';
import { hashToken, TOKEN_PREFIX } from '../api-tokens.ts';
import type { Principal } from './principal.ts';

const REJECTED =
  'The API token is unknown or revoked: create a new one with "glimpse tokens create <login>".';

/** last_used_at is refreshed at most this often, so a busy token does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The person behind an API token (`glp_…`). Wrong or revoked tokens are Unauthorized; so is the one-time
 * bootstrap token, which is only good for signing in once. Records the token's last use (to the minute).
 */
export async function authenticateToken(db: Database, token: string, now = new Date()): Promise<Principal> {
  if (!token.startsWith(TOKEN_PREFIX)) throw new Unauthorized(REJECTED);
  const [row] = await db
    .select({
      id: apiTokens.id,
      lastUsedAt: apiTokens.lastUsedAt,
      userId: users.id,
      login: users.githubLogin,
      isAdmin: users.isAdmin,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt), eq(apiTokens.kind, 'api')),
    );
  if (row === undefined) throw new Unauthorized(REJECTED);
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.id));
  }
  return { userId: row.userId, login: row.login, isAdmin: row.isAdmin, tokenId: row.id };
}

/** The principal of a signed-in user (session cookie); Unauthorized when the user is gone. */
export async function principalOfUser(db: Database, userId: string): Promise<Principal> {
  const [user] = await db
    .select({ id: users.id, login: users.githubLogin, isAdmin: users.isAdmin })
    .from(users)
    .where(eq(users.id, userId));
  if (user === undefined) throw new Unauthorized('Your session is no longer valid: sign in again.');
  return { userId: user.id, login: user.login, isAdmin: user.isAdmin, tokenId: undefined };
}
