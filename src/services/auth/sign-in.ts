import type { Database } from '../../db/database.ts';
import { and, eq, inArray, isNotNull, isNull, notInArray, sql } from '../../db/drizzle-orm.ts';
import { apiTokens, teamMemberships, teams, users } from '../../db/schema.ts';
import { Unauthorized } from '../../domain/errors.ts';
import type { GithubIdentity } from '../../github/github-oauth.ts';
import { hashToken } from '../api-tokens.ts';
import { ensureAccountTeam } from '../webhooks/repo-connections.ts';
import { authenticateToken } from './authenticate-token.ts';

/**
 * Records a GitHub sign-in: the user (found by GitHub id, else login) and their memberships of teams
 * linked to GitHub accounts, exactly as GitHub reports them now. Teams made by hand keep their members.
 */
export async function recordGithubSignIn(db: Database, identity: GithubIdentity): Promise<string> {
  const login = identity.user.login.toLowerCase();
  return db.transaction(async (tx) => {
    const [byId] = await tx.select({ id: users.id }).from(users).where(eq(users.githubId, identity.user.id));
    const [user] = byId
      ? await tx
          .update(users)
          .set({ githubLogin: login, name: identity.user.name })
          .where(eq(users.id, byId.id))
          .returning({ id: users.id })
      : await tx
          .insert(users)
          .values({ githubLogin: login, githubId: identity.user.id, name: identity.user.name })
          .onConflictDoUpdate({
            target: users.githubLogin,
            set: { githubId: identity.user.id, name: identity.user.name },
          })
          .returning({ id: users.id });
    if (user === undefined) throw new Error('upserting the user returned no row');
    const teamIds: string[] = [];
    for (const membership of identity.memberships) {
      const teamId = await ensureAccountTeam(tx, membership.account);
      teamIds.push(teamId);
      await tx
        .insert(teamMemberships)
        .values({ teamId, userId: user.id, role: membership.role })
        .onConflictDoUpdate({
          target: [teamMemberships.teamId, teamMemberships.userId],
          set: { role: membership.role },
        });
    }
    const linked = tx.select({ id: teams.id }).from(teams).where(isNotNull(teams.githubAccountId));
    await tx
      .delete(teamMemberships)
      .where(
        and(
          eq(teamMemberships.userId, user.id),
          inArray(teamMemberships.teamId, linked),
          ...(teamIds.length > 0 ? [notInArray(teamMemberships.teamId, teamIds)] : []),
        ),
      );
    return user.id;
  });
}

/** Exchanges the one-time bootstrap token for the `admin` user's id, revoking the token. */
export async function redeemBootstrapToken(db: Database, token: string): Promise<string> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()`, lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.tokenHash, hashToken(token)),
        eq(apiTokens.kind, 'bootstrap'),
        isNull(apiTokens.revokedAt),
      ),
    )
    .returning({ userId: apiTokens.userId });
  if (row === undefined)
    throw new Unauthorized(
      'That is not an unused bootstrap token: it works once. Sign in with GitHub, or create a token with "glimpse tokens create admin".',
    );
  return row.userId;
}

/**
 * The user a token signs in (the dashboard's "Sign in with a token"): the one-time bootstrap token, used
 * up by this, or an API token of theirs, which stays valid.
 */
export async function signInWithToken(db: Database, token: string, now = new Date()): Promise<string> {
  try {
    return await redeemBootstrapToken(db, token);
  } catch (error) {
    if (!(error instanceof Unauthorized)) throw error;
  }
  const principal = await authenticateToken(db, token, now).catch((error: unknown) => {
    throw error instanceof Unauthorized
      ? new Unauthorized(
          'That token is unknown, revoked or already used: paste an API token ("glimpse tokens create <login>") or the first start\'s one-time token.',
        )
      : error;
  });
  return principal.userId;
}
