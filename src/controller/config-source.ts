import { GLIMPSE_CONFIG_FILE } from '../domain/glimpse-config.ts';
import type { GithubClient } from '../github/github-client.ts';
import { repoRef, type WorkItem } from './work-item.ts';

/** Where the controller reads a repo's `.glimpse.yml`; undefined when the repo has none. */
export interface ConfigSource {
  read(item: WorkItem, ref: string): Promise<string | undefined>;
}

export function githubConfigSource(github: GithubClient): ConfigSource {
  return { read: (item, ref) => github.readFile(repoRef(item.repo), GLIMPSE_CONFIG_FILE, ref) };
}
