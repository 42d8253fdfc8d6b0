import { GraphqlResponseError } from '@octokit/graphql';
import { Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable } from '../domain/errors.ts';

/**
 * Turns what octokit throws into a domain error. `action` says what Glimpse was doing, e.g.
 * "read .glimpse.yml from acme/web". Callers match on the class, never on the message.
 */
export function translateGithubError(error: unknown, action: string): Error {
  if (error instanceof GraphqlResponseError) return translateGraphqlErrors(error, action);
  const status = statusOf(error);
  const headers = headersOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (status === undefined) {
    return new Unavailable(`GitHub could not be reached to ${action}: ${detail}`, options);
  }
  if (status === 404 || status === 410)
    return new NotFound(`GitHub has no such resource (${action})`, options);
  if ((status === 403 || status === 429) && isRateLimit(headers, detail)) {
    const reset = Number(headers['x-ratelimit-reset']);
    const until = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return new Unavailable(`GitHub rate limit reached${until}; will retry (${action})`, options);
  }
  if (status === 401) {
    return new Unauthorized(
      `GitHub rejected the App's credentials (${action}): check the App id and private key, and that the App is still installed`,
      options,
    );
  }
  if (status === 403) {
    return new Forbidden(
      `GitHub denied the App access (${action}): grant the App the permission in its settings and accept it on the installation`,
      options,
    );
  }
  if (status === 409) return new Conflict(`GitHub reported a conflict (${action}): ${detail}`, options);
  if (status === 422 || status === 400)
    return new InvalidInput(`GitHub refused the request (${action}): ${detail}`, options);
  if (status >= 500) return new Unavailable(`GitHub failed (${status}) to ${action}; will retry`, options);
  return new Unavailable(`GitHub answered ${status} to ${action}: ${detail}`, options);
}

/** GraphQL answers 200 with typed `errors`: a repository the installation cannot see, a rate limit, … */
function translateGraphqlErrors(error: GraphqlResponseError<unknown>, action: string): Error {
  const types = new Set(error.errors?.map((e) => e.type));
  const options = { cause: error };
  if (types.has('NOT_FOUND')) return new NotFound(`GitHub has no such resource (${action})`, options);
  if (types.has('FORBIDDEN')) {
    return new Forbidden(
      `GitHub denied the App access (${action}): grant the App the permission in its settings and accept it on the installation`,
      options,
    );
  }
  return new Unavailable(`GitHub could not answer (${action}): ${error.errors?.[0]?.message ?? ''}`, options);
}

function isRateLimit(headers: Record<string, string | undefined>, message: string): boolean {
  return (
    headers['x-ratelimit-remaining'] === '0' ||
    headers['retry-after'] !== undefined ||
    /rate limit/i.test(message)
  );
}

function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || !('status' in error)) return undefined;
  const status = Number(error.status);
  // @octokit/request reports network failures (reset, refused, aborted/timeout) as status 500 with no response.
  if (!('response' in error) || error.response === undefined) return status >= 500 ? undefined : status;
  return Number.isFinite(status) ? status : undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  if (error === null || typeof error !== 'object' || !('response' in error)) return {};
  const response = error.response;
  if (response === null || typeof response !== 'object' || !('headers' in response)) return {};
  const headers = response.headers;
  if (headers === null || typeof headers !== 'object') return {};
  return Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [
      key.toLowerCase(),
      value === undefined ? undefined : String(value),
    ]),
  );
}
