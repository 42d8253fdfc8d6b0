import { buildSchema, type GraphQLError, graphql } from 'graphql';
import { readPath, revParse } from './git-repo.ts';
import { error, type SimResponse } from './route.ts';
import type { SimRepo, SimState } from './sim-state.ts';

/**
 * The part of GitHub's GraphQL schema Glimpse reads, with GitHub's own type and field names, executed by
 * the reference GraphQL implementation: a query outside it fails validation as it would on GitHub.
 */
const schema = buildSchema(`
  scalar GitObjectID
  type Query {
    repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  }
  type Repository {
    nameWithOwner: String!
    object(expression: String, oid: GitObjectID): GitObject
  }
  interface GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
  }
  type Blob implements GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    byteSize: Int!
    isBinary: Boolean
    isTruncated: Boolean!
    text: String
  }
  type Tree implements GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    entries: [TreeEntry!]
  }
  type TreeEntry {
    name: String!
    oid: GitObjectID!
    type: String!
  }
`);

/** GitHub cuts `Blob.text` short beyond this and says so with `isTruncated`. */
export const GRAPHQL_TEXT_LIMIT = 512 * 1024;

interface ResolvedObject {
  __typename: 'Blob' | 'Tree';
  oid: string;
  abbreviatedOid: string;
  [field: string]: unknown;
}

/** An error as GitHub puts it in `errors`: its `type` next to the message. */
class TypedError extends Error {
  readonly type: string;

  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** POST /graphql for an installation token: `{ data, errors }` with GitHub's error types. */
export async function answerGraphql(
  body: unknown,
  state: SimState,
  installationId: number,
): Promise<SimResponse> {
  const request = body as { query?: unknown; variables?: unknown } | undefined;
  if (typeof request?.query !== 'string')
    return error(400, 'A query attribute must be specified and must be a string.');
  const variables =
    request.variables !== null && typeof request.variables === 'object'
      ? (request.variables as Record<string, unknown>)
      : {};
  const result = await graphql({
    schema,
    source: request.query,
    variableValues: variables,
    rootValue: {
      repository: ({ owner, name }: { owner: string; name: string }) => {
        const repo = state.repos.get(`${owner}/${name}`.toLowerCase());
        if (repo === undefined || repo.installationId !== installationId)
          throw new TypedError(
            'NOT_FOUND',
            `Could not resolve to a Repository with the name '${owner}/${name}'.`,
          );
        return repositoryFields(repo);
      },
    },
    typeResolver: (value) => (value as ResolvedObject).__typename,
  });
  return {
    status: 200,
    body: {
      ...(result.data === undefined ? {} : { data: result.data }),
      ...(result.errors === undefined ? {} : { errors: result.errors.map((e) => githubError(e)) }),
    },
  };
}

function repositoryFields(repo: SimRepo) {
  return {
    nameWithOwner: repo.fullName,
    object: async ({ expression }: { expression?: string }) => {
      const separator = expression?.indexOf(':') ?? -1;
      if (expression === undefined || separator < 0) return null;
      const sha = await revParse(repo.gitDir, expression.slice(0, separator) || repo.defaultBranch);
      if (sha === undefined) return null;
      const found = await readPath(
        repo.gitDir,
        sha,
        expression.slice(separator + 1).replace(/^\/+|\/+$/g, ''),
      );
      if (found === undefined) return null;
      const ids = { oid: found.sha, abbreviatedOid: found.sha.slice(0, 7) };
      if (found.type === 'tree') {
        const entries = found.entries.map((entry) => ({
          name: entry.name,
          oid: entry.sha,
          type: entry.type,
        }));
        return { __typename: 'Tree', ...ids, entries } satisfies ResolvedObject;
      }
      const isBinary = found.content.includes(0);
      const isTruncated = !isBinary && found.content.length > GRAPHQL_TEXT_LIMIT;
      return {
        __typename: 'Blob',
        ...ids,
        byteSize: found.content.length,
        isBinary,
        isTruncated,
        text: isBinary ? null : found.content.subarray(0, GRAPHQL_TEXT_LIMIT).toString('utf8'),
      } satisfies ResolvedObject;
    },
  };
}

function githubError(e: GraphQLError) {
  const type = e.originalError instanceof TypedError ? e.originalError.type : undefined;
  return {
    ...(type === undefined ? {} : { type }),
    path: e.path,
    locations: e.locations,
    message: e.message,
  };
}
