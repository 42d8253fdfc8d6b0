import type { GithubSimulator } from './github-sim/start-github-simulator.ts';
import { sendWebhook, type WebhookResponse } from './webhook-sender.ts';

/** The GitHub App installation that test repos are connected through. */
export const INSTALLATION = { id: 4242, account: { login: 'acme', id: 9001 } };

/**
 * Connects a repo as GitHub would: the simulator's installation gains it, and Glimpse is sent an
 * `installation_repositories` `added` delivery. The caller decides what the response must be.
 */
export async function connectRepo(options: {
  github: GithubSimulator;
  webhookUrl: string;
  secret: string;
  fullName: string;
  gitDir: string;
}): Promise<{ id: number; response: WebhookResponse }> {
  const { github, fullName } = options;
  const { id } = await github.addRepo({ fullName, gitDir: options.gitDir, installationId: INSTALLATION.id });
  const response = await sendWebhook({
    url: options.webhookUrl,
    secret: options.secret,
    event: 'installation_repositories',
    action: 'added',
    overrides: {
      installation: INSTALLATION,
      repositories_added: [{ id, full_name: fullName }],
      repositories_removed: [],
    },
  });
  return { id, response };
}
