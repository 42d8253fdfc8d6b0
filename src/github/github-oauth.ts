import { z } from 'zod';
import { Unauthorized, Unavailable } from '../domain/errors.ts';
import type { TeamRole } from '../domain/vocabulary.ts';

export interface GithubIdentity {
  user: { login: string; id: number; name: string | null };
  /** The teams the user belongs to by GitHub's word: one per installation account they are part of. */
  memberships: { account: { login: string; id: number }; role: TeamRole }[];
}

export interface GithubOAuth {
  authorizeUrl(state: string, redirectUri: string): string;
  /** Exchanges the callback's code for a user access token; Unauthorized when GitHub refuses it. */
  exchangeCode(code: string, redirectUri: string): Promise<string>;
  /** Who the token belongs to, and their role in each account that installed the App. */
  identity(accessToken: string): Promise<GithubIdentity>;
}

const TokenAnswer = z.union([
  z.object({ access_token: z.string() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
const User = z.object({ login: z.string(), id: z.number(), name: z.string().nullable().optional() });
const Installations = z.object({
  installations: z.array(
    z.object({
      account: z.object({ login: z.string(), id: z.number(), type: z.string().optional() }).nullable(),
    }),
  ),
});
const OrgMembership = z.object({ state: z.string(), role: z.string() });

/** The web host for an API URL: api.github.com -> github.com, GHE's /api/v3 -> its host, else the same. */
export function githubWebUrl(apiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiUrl)) return 'https://github.com';
  return apiUrl.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '');
}

/** GitHub's OAuth web flow for the App's client, over fetch. */
export function createGithubOAuth(options: {
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
}): GithubOAuth {
  const web = githubWebUrl(options.apiUrl);
  const doFetch = options.fetch ?? fetch;
  async function call(url: string, init: RequestInit, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      throw new Unavailable(`GitHub could not be reached to ${what}: ${String(error)}`);
    }
    if (response.status === 401)
      throw new Unauthorized(`GitHub refused the sign-in (${what}): sign in again.`);
    if (!response.ok)
      throw new Unavailable(`GitHub answered ${response.status} when asked to ${what}: try again.`);
    return response.json();
  }
  const api = (token: string, path: string, what: string) =>
    call(
      `${options.apiUrl}${path}`,
      { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' } },
      what,
    );
  return {
    authorizeUrl(state, redirectUri) {
      const query = new URLSearchParams({ client_id: options.clientId, redirect_uri: redirectUri, state });
      return `${web}/login/oauth/authorize?${query}`;
    },
    async exchangeCode(code, redirectUri) {
      const answer = TokenAnswer.parse(
        await call(
          `${web}/login/oauth/access_token`,
          {
            method: 'POST',
            headers: { accept: 'application/json', 'content-type': 'application/json' },
            body: JSON.stringify({
              client_id: options.clientId,
              client_secret: options.clientSecret,
              code,
              redirect_uri: redirectUri,
            }),
          },
          'finish the sign-in',
        ),
      );
      if ('error' in answer)
        throw new Unauthorized(
          `GitHub refused the sign-in (${answer.error_description ?? answer.error}): sign in again.`,
        );
      return answer.access_token;
    },
    async identity(token) {
      const user = User.parse(await api(token, '/user', 'read your account'));
      const { installations } = Installations.parse(
        await api(token, '/user/installations?per_page=100', 'list your installations'),
      );
      const memberships: GithubIdentity['memberships'] = [];
      for (const { account } of installations) {
        if (account === null) continue;
        if (account.type !== 'Organization') {
          if (account.id === user.id) memberships.push({ account, role: 'owner' });
          continue;
        }
        try {
          const membership = OrgMembership.parse(
            await api(
              token,
              `/user/memberships/orgs/${encodeURIComponent(account.login)}`,
              'read your organisations',
            ),
          );
          if (membership.state === 'active')
            memberships.push({ account, role: membership.role === 'admin' ? 'admin' : 'member' });
        } catch (error) {
          if (!(error instanceof Unavailable)) throw error;
        }
      }
      return { user: { login: user.login, id: user.id, name: user.name ?? null }, memberships };
    },
  };
}
