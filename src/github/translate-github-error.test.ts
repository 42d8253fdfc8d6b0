import { GraphqlResponseError } from '@octokit/graphql';
import { describe, expect, it } from 'vitest';
import { Conflict, Forbidden, NotFound, Unauthorized, Unavailable } from '../domain/errors.ts';
import { translateGithubError } from './translate-github-error.ts';

/** Shaped like @octokit/request's RequestError: a status, and a response unless the network failed. */
const failure = (status: number, headers: Record<string, string> = {}, message = 'x') =>
  Object.assign(new Error(message), { status, response: { status, headers, data: { message } } });
/** What @octokit/graphql throws when a 200 answer carries `errors` of GitHub's `type`. */
const graphqlFailure = (type: string) =>
  new GraphqlResponseError(
    { method: 'POST', url: '/graphql' },
    {},
    {
      data: { repository: null },
      errors: [
        {
          type,
          message: `${type} happened`,
          path: ['repository'],
          extensions: {},
          locations: [{ line: 1, column: 1 }],
        },
      ],
    },
  );
const networkFailure = () => Object.assign(new Error('fetch failed'), { status: 500 });

describe('translateGithubError', () => {
  it.each([
    [failure(404), NotFound],
    [failure(410), NotFound],
    [failure(500), Unavailable],
    [failure(502), Unavailable],
    [failure(401), Unauthorized],
    [failure(403), Forbidden],
    [failure(409), Conflict],
    [failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' }), Unavailable],
    [failure(403, { 'retry-after': '60' }, 'You have exceeded a secondary rate limit'), Unavailable],
    [failure(429, { 'x-ratelimit-remaining': '0' }), Unavailable],
    [networkFailure(), Unavailable],
    [new TypeError('socket hang up'), Unavailable],
    [graphqlFailure('NOT_FOUND'), NotFound],
    [graphqlFailure('FORBIDDEN'), Forbidden],
    [graphqlFailure('RATE_LIMITED'), Unavailable],
  ])('maps %s to the right domain error', (error, expected) => {
    const translated = translateGithubError(error, 'read a file');
    expect(translated).toBeInstanceOf(expected);
    expect(translated.cause).toBe(error);
  });

  it('says until when a primary rate limit lasts', () => {
    const error = failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' });
    expect(translateGithubError(error, 'x').message).toContain('2027-01-15T08:00:00.000Z');
  });
});
