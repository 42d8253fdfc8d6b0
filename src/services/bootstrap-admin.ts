import type { Database } from '../db/database.ts';
import { sql } from '../db/drizzle-orm.ts';
import { users } from '../db/schema.ts';
import { createApiToken } from './api-tokens.ts';

export const BOOTSTRAP_ADMIN_LOGIN = 'admin';

/**
 * On an empty database, creates the `admin` user with a one-time login token, so a newcomer can use
 * Glimpse before connecting GitHub. Returns the token only when it was just created.
 */
export async function ensureBootstrapAdmin(db: Database): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    // Serialises two replicas starting on one empty database.
    await tx.execute(sql`lock table ${users} in share row exclusive mode`);
    const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing !== undefined) return undefined;
    await tx
      .insert(users)
      .values({ githubLogin: BOOTSTRAP_ADMIN_LOGIN, name: 'Glimpse administrator', isAdmin: true });
    const created = await createApiToken(tx, {
      login: BOOTSTRAP_ADMIN_LOGIN,
      name: 'one-time bootstrap login',
      kind: 'bootstrap',
    });
    return created.token;
  });
}
