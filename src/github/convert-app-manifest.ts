import { Octokit } from '@octokit/core';
import { z } from 'zod';
import { translateGithubError } from './translate-github-error.ts';

/** What GitHub returns for a manifest code: the new App, its key and secrets (only the fields Glimpse keeps). */
export const ConvertedApp = z.object({
  id: z.number().int().positive(),
  slug: z.string(),
  name: z.string(),
  html_url: z.string(),
  owner: z.object({ login: z.string() }).nullable(),
  pem: z.string(),
  webhook_secret: z.string().nullable(),
  client_id: z.string(),
  client_secret: z.string(),
});
export type ConvertedApp = z.infer<typeof ConvertedApp>;

/** Exchanges the code GitHub's redirect carries (`POST /app-manifests/{code}/conversions`, no authentication). */
export async function convertAppManifest(apiUrl: string, code: string): Promise<ConvertedApp> {
  const octokit = new Octokit({ baseUrl: apiUrl.replace(/\/+$/, ''), userAgent: 'glimpse' });
  try {
    const { data } = await octokit.request('POST /app-manifests/{code}/conversions', {
      code,
      request: { signal: AbortSignal.timeout(30_000) },
    });
    return ConvertedApp.parse(data);
  } catch (error) {
    throw translateGithubError(error, 'exchanging the GitHub App manifest code');
  }
}
