import { GraphqlResponseError } from '@octokit/graphql';
import { z } from 'zod';
import { Forbidden, NotFound, Unavailable } from '../domain/errors.ts';
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
  let data: unknown;
  try {
    data = await octokit.graphql(query, variables);
  } catch (error) {
    if (error instanceof GraphqlResponseError) throw domainErrorOf(error, repo);
    throw error;
  }
  const repository = z.object({ repository: z.record(z.string(), BlobAnswer) }).parse(data).repository;
  return files.map((_, index) => {
    const blob = repository[`f${index}`];
    if (blob === null || blob === undefined) return undefined;
    if (!('isTruncated' in blob)) return undefined;
    if (blob.isTruncated || typeof blob.text !== 'string') return 'fallback';
    return blob.text;
  });
}

/** GitHub answers 200 with `errors` for a repository the installation cannot see, rate limits and the like. */
function domainErrorOf(error: GraphqlResponseError<unknown>, repo: { owner: string; repo: string }): Error {
  const types = new Set(error.errors?.map((e) => e.type));
  const where = `reading files of ${repo.owner}/${repo.repo}`;
  const options = { cause: error };
  if (types.has('NOT_FOUND')) return new NotFound(`GitHub has no such repository (${where})`, options);
  if (types.has('FORBIDDEN'))
    return new Forbidden(`GitHub denied the App access (${where}): grant it Contents read`, options);
  return new Unavailable(`GitHub could not answer (${where}): ${error.errors?.[0]?.message ?? ''}`, options);
}
