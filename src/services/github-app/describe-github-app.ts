import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { githubApps } from '../../db/schema.ts';
import type { Principal } from '../auth/principal.ts';

export const GithubAppView = z.object({
  appId: z
    .number()
    .int()
    .nullable()
    .describe('the GitHub App this server runs as; null: none, so no pull request reaches Glimpse'),
  stored: z
    .object({
      appId: z.number().int(),
      slug: z.string(),
      name: z.string(),
      owner: z.string().nullable().describe('the organisation or user it was created for'),
      htmlUrl: z.string(),
      connectedAt: z.string(),
    })
    .nullable()
    .describe('the App created with the manifest flow ("Connect GitHub", glimpse github connect), if any'),
  restartNeeded: z
    .boolean()
    .describe('an App is stored but this server started without one: restart Glimpse to use it'),
  connectPath: z
    .string()
    .nullable()
    .describe(
      'where an administrator starts the manifest flow in the browser (add ?organization=<org> for an organisation); null for others',
    ),
});
export type GithubAppView = z.infer<typeof GithubAppView>;

/** Which GitHub App Glimpse runs as, which one the manifest flow stored, and whether the caller may connect one. */
export async function describeGithubApp(
  db: Database,
  principal: Principal,
  server: { appId: number | undefined; connectPath: string | undefined },
): Promise<GithubAppView> {
  // The public columns only: the sealed secrets stay closed.
  const [stored] = await db
    .select({
      appId: githubApps.appId,
      slug: githubApps.slug,
      name: githubApps.name,
      owner: githubApps.owner,
      htmlUrl: githubApps.htmlUrl,
      connectedAt: githubApps.connectedAt,
    })
    .from(githubApps)
    .limit(1);
  return {
    appId: server.appId ?? null,
    stored: stored === undefined ? null : { ...stored, connectedAt: stored.connectedAt.toISOString() },
    restartNeeded: stored !== undefined && server.appId === undefined,
    connectPath: principal.isAdmin ? (server.connectPath ?? null) : null,
  };
}
