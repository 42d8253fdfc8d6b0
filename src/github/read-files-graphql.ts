import { z } from 'zod';
import type { InstallationOctokit } from './create-github-app.ts';

export interface FileAt {
  path: string;
  ref: string;
}

/** What GitHub answers for one aliased `object(expression:)`; `{}` when the path is a tree. */
const BlobAnswer = z
  .object({ text: z.string().nullable().optional(), isTruncated: z.boolean().optional() })
  .nullable();

/**
 * Reads many files of one repository, each at its own ref, in one GraphQL request: the REST contents API
 * takes one request per file. Undefined for a file that does not exist (or a ref that does not);
 * `'fallback'` for one GraphQL cannot give as text (binary or truncated), which REST can.
 */
export async function readFilesWithGraphql(
  octokit: InstallationOctokit,
  repo: { owner: string; repo: string },
  files: readonly FileAt[],
): Promise<(string | undefined | 'fallback')[]> {
  const variables: Record<string, string> = { owner: repo.owner, name: repo.repo };
  const fields = files.map((file, index) => {
    variables[`e${index}`] = `${file.ref}:${file.path}`;
    return `f${index}: object(expression: $e${index}) { ... on Blob { text isTruncated } }`;
  });
  const declarations = files.map((_, index) => `$e${index}: String!`).join(', ');
  const query = `query GlimpseReadFiles($owner: String!, $name: String!, ${declarations}) {
  repository(owner: $owner, name: $name) { ${fields.join(' ')} }
}`;
  const data: unknown = await octokit.graphql(query, variables);
  const repository = z.object({ repository: z.record(z.string(), BlobAnswer) }).parse(data).repository;
  return files.map((_, index) => {
    const blob = repository[`f${index}`];
    if (blob === null || blob === undefined) return undefined;
    if (!('isTruncated' in blob)) return undefined;
    if (blob.isTruncated || typeof blob.text !== 'string') return 'fallback';
    return blob.text;
  });
}
