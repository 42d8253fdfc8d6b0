import type { Database } from '../db/database.ts';
import { eq, sql } from '../db/drizzle-orm.ts';
import { repos } from '../db/schema.ts';
import { NotFound } from '../domain/errors.ts';
import type { GithubClient } from '../github/github-client.ts';
import { repoRef } from './work-item.ts';

/** Downloads a connected repo's tarball at a commit, through the App installation that can see it. */
export function sourceDownloader(db: Database, github: GithubClient) {
  return async (repoFullName: string, commitSha: string): Promise<Buffer> => {
    const [repo] = await db
      .select()
      .from(repos)
      .where(eq(sql`lower(${repos.fullName})`, repoFullName.toLowerCase()));
    if (repo === undefined) throw new NotFound(`${repoFullName} is not connected to Glimpse.`);
    return github.downloadTarball(repoRef(repo), commitSha);
  };
}
