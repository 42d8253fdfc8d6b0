import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../web/build-dashboard.ts';
import { type Browser, browserTestsEnabled, launchBrowser } from '../support/browser.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';

const BANNER = /listening\s+http:\/\/\S+/;

// GitHub in Chromium against the GitHub simulator and a real `glimpse serve` started without any GitHub
// variable: an administrator connects GitHub from the dashboard (the App manifest flow, to GitHub and back),
// and after a restart a GitHub user signs in with GitHub through the OAuth client that flow stored.
describe.skipIf(!browserTestsEnabled)(
  'GitHub in the dashboard: Connect GitHub, then Sign in with GitHub',
  () => {
    const work = mkdtempSync(path.join(tmpdir(), 'glimpse-github-browser-'));
    let github: GithubSimulator;
    let env: Record<string, string>;
    let baseUrl: string;
    let glimpse: GlimpseProcess | undefined;
    let admin: Browser;
    let page: Page;

    async function serve(): Promise<GlimpseProcess> {
      const started = startGlimpse(['serve'], env);
      glimpse = started;
      await started.waitForOutput(BANNER, 90_000);
      return started;
    }

    beforeAll(async () => {
      await buildDashboard({ ifStale: true });
      github = await startGithubSimulator();
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      env = {
        GLIMPSE_PORT: String(port),
        GLIMPSE_PUBLIC_URL: baseUrl,
        GLIMPSE_PROXY_PORT: '0',
        GLIMPSE_DATA_DIR: path.join(work, 'data'),
        GITHUB_API_URL: github.url,
      };
      admin = await launchBrowser();
      page = await admin.context.newPage();
    }, 120_000);

    afterAll(async () => {
      await admin?.close();
      glimpse?.kill('SIGTERM');
      await glimpse?.exited(30_000).catch(() => undefined);
      github?.assertClean();
      await github?.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('an administrator connects GitHub for an organisation from the dashboard, through GitHub and back', async () => {
      const first = await serve();
      const [signInLink] = await first.waitForOutput(/http:\S+\/sign-in#token=\S+/);
      await page.goto(signInLink);
      await page.getByRole('heading', { name: 'Previews' }).waitFor();
      const notice = page.getByRole('region', { name: 'GitHub' });
      await notice.getByText('No GitHub App is connected').waitFor();

      await notice.getByLabel('an organisation you own').check();
      await notice.getByLabel('Organisation', { exact: true }).fill('acme');
      await notice.getByRole('button', { name: 'Connect GitHub' }).click();
      // Glimpse's page with the manifest, which the browser posts to GitHub.
      await page.getByRole('heading', { name: 'Connect Glimpse to GitHub' }).waitFor();
      const start = new URL(page.url());
      expect(start.pathname).toBe('/api/github/app/new');
      expect(start.searchParams.get('organization')).toBe('acme');
      await page.getByText('for the organisation acme').waitFor();
      await page.getByRole('button', { name: 'Create the GitHub App on GitHub' }).click();
      // GitHub created the App and sent the browser back with a code, which Glimpse exchanged and stored.
      await page.getByRole('heading', { name: 'GitHub App connected' }).waitFor();
      await page.getByText(`(id ${github.appId})`).waitFor();
      expect(new URL(page.url()).pathname).toBe('/api/github/app/callback');
      expect(github.appManifests.posted.map((posted) => posted.organization)).toEqual(['acme']);
      expect(github.appManifests.posted[0]?.manifest).toMatchObject({
        hook_attributes: { url: `${baseUrl}/api/github/webhook` },
        redirect_url: `${baseUrl}/api/github/app/callback`,
      });
      expect(github.appManifests.created?.id).toBe(github.appId);

      await page.goto(baseUrl);
      await page.getByRole('region', { name: 'GitHub' }).getByText('Restart Glimpse to use it').waitFor();
      await expect(page.getByRole('button', { name: 'Connect GitHub' }).count()).resolves.toBe(0);
    }, 120_000);

    it('after a restart, a GitHub user signs in with GitHub and lands on the page they asked for', async () => {
      await page.goto('about:blank');
      glimpse?.kill('SIGTERM');
      await glimpse?.exited(30_000);
      await serve();
      github.oauth.addInstallation({ id: 601, account: 'acme', type: 'Organization' });
      github.oauth.grantInstallation('mia', 601);
      github.oauth.setOrgRole('acme', 'mia', 'member');
      github.oauth.signIn('mia');

      const someone = await launchBrowser();
      try {
        const mia = await someone.context.newPage();
        await mia.goto(`${baseUrl}/repositories`);
        await mia.getByRole('heading', { name: 'Sign in to Glimpse' }).waitFor();
        await mia.getByRole('link', { name: 'Sign in with GitHub' }).click();
        // To GitHub's authorize page (which approves at once in the simulator) and back through the callback.
        await mia.getByRole('heading', { name: 'Repositories' }).waitFor();
        expect(new URL(mia.url()).pathname).toBe('/repositories');
        await mia.getByText('mia', { exact: true }).waitFor();
        const cookies = await someone.context.cookies();
        expect(cookies.find((cookie) => cookie.name === 'glimpse_session')?.httpOnly).toBe(true);
        // The App is in use now: no notice about connecting GitHub.
        await expect(mia.getByRole('region', { name: 'GitHub' }).count()).resolves.toBe(0);
        // Signed in as the GitHub user, in the team of the installation GitHub says they belong to.
        const me = await mia.evaluate<{ login: string; teams: { slug: string; role: string }[] }>(
          "fetch('/api/v1/me').then((answer) => answer.json())",
        );
        expect(me).toMatchObject({ login: 'mia', teams: [{ slug: 'acme', role: 'member' }] });
      } finally {
        await someone.close();
      }
    }, 120_000);
  },
);
