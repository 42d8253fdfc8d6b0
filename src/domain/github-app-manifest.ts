/** Routes on Glimpse's side of the GitHub App manifest flow. */
export const APP_MANIFEST_START_PATH = '/api/github/app/new';
export const APP_MANIFEST_CALLBACK_PATH = '/api/github/app/callback';

export interface GithubAppManifest {
  name: string;
  url: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  callback_urls: string[];
  public: boolean;
  default_permissions: Record<string, 'read' | 'write'>;
  default_events: string[];
}

/**
 * The App Glimpse needs (README, "Connect GitHub"): webhooks to `/api/github/webhook`, sign-in through its OAuth
 * client, the permissions and events below, private to the account that creates it.
 */
export function githubAppManifest(publicUrl: string, name: string): GithubAppManifest {
  return {
    name,
    url: publicUrl,
    hook_attributes: { url: `${publicUrl}/api/github/webhook`, active: true },
    redirect_url: `${publicUrl}${APP_MANIFEST_CALLBACK_PATH}`,
    callback_urls: [`${publicUrl}/auth/github/callback`],
    public: false,
    default_permissions: {
      contents: 'read',
      pull_requests: 'read',
      issues: 'write',
      deployments: 'write',
      checks: 'read',
      statuses: 'read',
      metadata: 'read',
    },
    default_events: ['pull_request', 'issue_comment', 'repository', 'check_run', 'check_suite', 'status'],
  };
}

/** GitHub's web address for an API address: github.com, a GitHub Enterprise host, or the API itself (a simulator). */
export function githubWebUrl(apiUrl: string): string {
  const url = apiUrl.replace(/\/+$/, '');
  if (url === 'https://api.github.com') return 'https://github.com';
  return url.endsWith('/api/v3') ? url.slice(0, -'/api/v3'.length) : url;
}

/** Where the browser posts the manifest: the user's settings, or an organisation's. */
export function newAppUrl(webUrl: string, organization: string | undefined): string {
  return organization === undefined
    ? `${webUrl}/settings/apps/new`
    : `${webUrl}/organizations/${encodeURIComponent(organization)}/settings/apps/new`;
}
