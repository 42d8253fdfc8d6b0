import { batchCalls } from '../batch-calls.ts';
import { FileTooLarge } from '../domain/file-too-large.ts';
import { GLIMPSE_CONFIG_FILE } from '../domain/glimpse-config.ts';
import type { GithubClient, RepoRef } from '../github/github-client.ts';
import { repoRef, type WorkItem } from './work-item.ts';

/**
 * Where the controller reads a repo's `.glimpse.yml`; undefined when the repo has none. A file over the size
 * Glimpse reads throws `FileTooLarge`.
 */
export interface ConfigSource {
  read(item: WorkItem, ref: string): Promise<string | undefined>;
}

/** GitHub's GraphQL API answers up to this many files in one request with ease (each is one field). */
const MAX_FILES_PER_REQUEST = 50;

/**
 * Reads `.glimpse.yml` from GitHub. Reads of one repository that start together (many PRs opened or
 * redeployed at once) share one GraphQL request instead of one REST request each; a lone read is not held
 * back (see `batchCalls`).
 */
export function githubConfigSource(github: GithubClient): ConfigSource {
  const readers = new Map<string, (ref: string) => Promise<string | undefined | FileTooLarge>>();
  const readerFor = (repo: RepoRef) => {
    const key = `${repo.installationId}/${repo.owner}/${repo.repo}`.toLowerCase();
    let reader = readers.get(key);
    if (reader === undefined) {
      reader = batchCalls<string, string | undefined | FileTooLarge>({
        run: (refs) =>
          github.readFiles(
            repo,
            refs.map((ref) => ({ path: GLIMPSE_CONFIG_FILE, ref })),
          ),
        keysOf: () => [],
        // One request a repository at a time: reads that start meanwhile wait for it and go together.
        maxInFlight: 1,
        maxBatchSize: MAX_FILES_PER_REQUEST,
      });
      readers.set(key, reader);
    }
    return reader;
  };
  return {
    read: async (item, ref) => {
      const answer = await readerFor(repoRef(item.repo))(ref);
      if (answer instanceof FileTooLarge) throw answer;
      return answer;
    },
  };
}
