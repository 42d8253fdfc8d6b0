import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLocalRepo } from '../../src/cli/simulate/local-repo.ts';
import { pullRequestPayload } from '../../src/cli/simulate/simulated-deliveries.ts';
import { buildDashboard } from '../../web/build-dashboard.ts';
import { git } from '../local-runtime/support/app-repo.ts';
import { type Browser, browserTestsEnabled, launchBrowser } from '../support/browser.ts';
import { cli } from '../support/cli.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';
import { createPreviewApp } from '../support/preview-app.ts';
import { deepMerge, sendWebhook } from '../support/webhook-sender.ts';

const require = createRequire(import.meta.url);
const XSS = '<img src=x onerror=alert(1)>';
/** Git refuses spaces in branch names: the same markup without them. */
const XSS_BRANCH = 'xss-<img/src=x/onerror=alert(1)>';
const LIVE_MS = 2_000;

function getThroughProxy(
  port: number,
  host: string,
  urlPath = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { host } }, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!browserTestsEnabled)(
  'the dashboard in Chromium, against a real server with local previews',
  () => {
    const work = mkdtempSync(path.join(tmpdir(), 'glimpse-dashboard-'));
    const shop = path.join(work, 'shop');
    const broken = path.join(work, 'broken');
    const gated = path.join(work, 'gated');
    let env: Record<string, string>;
    let server: GlimpseProcess;
    let baseUrl: string;
    let proxyPort: number;
    let signInLink: string;
    let admin: Browser;
    let page: Page;
    const dialogs: string[] = [];

    beforeAll(async () => {
      await buildDashboard({ ifStale: true });
      createPreviewApp(shop, {
        branch: XSS_BRANCH,
        glimpseYml: `local:\n  start: node server.cjs\n  env:\n    START_LINE: "${XSS}"\n`,
      });
      createPreviewApp(gated, {
        branch: 'needs-a-label',
        glimpseYml: 'requireLabel: true\nlocal:\n  start: node server.cjs\n',
      });
      createPreviewApp(broken, {
        branch: 'broken-build',
        glimpseYml: 'local:\n  build: "false"\n  start: node server.cjs\n',
      });
      proxyPort = await freePort();
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      env = {
        GLIMPSE_PORT: String(port),
        GLIMPSE_PUBLIC_URL: baseUrl,
        GLIMPSE_PROXY_PORT: String(proxyPort),
        GLIMPSE_DATA_DIR: path.join(work, 'data'),
        GLIMPSE_ALLOW_FILE_REPOS: '1',
      };
      server = startGlimpse(['serve'], env);
      const [link] = await server.waitForOutput(/http:\S+\/sign-in#token=\S+/, 90_000);
      signInLink = link;
      admin = await launchBrowser();
      page = await admin.context.newPage();
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
    }, 120_000);

    afterAll(async () => {
      await admin?.close();
      server?.kill('SIGTERM');
      await server?.exited().catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    });

    it('signs in with the first start link (token in the fragment) and serves pages with the CSP', async () => {
      const response = await page.goto(signInLink);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
      await page.getByRole('heading', { name: 'Previews' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      expect(page.url()).not.toContain('glp_');
      const cookies = await admin.context.cookies();
      const session = cookies.find((cookie) => cookie.name === 'glimpse_session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Lax');
      expect(await page.evaluate<string>('JSON.stringify(window.localStorage)')).toBe('{}');
      // The link works once.
      const again = await launchBrowser();
      try {
        const other = await again.context.newPage();
        await other.goto(signInLink);
        await other
          .getByRole('alert')
          .getByText(/unknown, revoked or already used/)
          .waitFor();
      } finally {
        await again.close();
      }
    });

    it('shows a PR opened with simulate without reload within 2 s, and it runs', async () => {
      const opened = await cli(
        env,
        'simulate',
        'pull-request',
        'opened',
        '--repo',
        shop,
        '--number',
        '1',
        '--no-wait',
      );
      expect(opened.exitCode).toBe(0);
      const started = Date.now();
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'local/shop #1' }) });
      await row.waitFor({ timeout: LIVE_MS });
      expect(Date.now() - started).toBeLessThan(LIVE_MS);
      await row.getByText('running', { exact: true }).waitFor({ timeout: 60_000 });
      const served = await getThroughProxy(proxyPort, 'pr-shop-1.localhost');
      expect(served).toEqual({ status: 200, body: 'hello from the preview\n' });
      await row.getByText(XSS_BRANCH, { exact: true }).waitFor();
    });

    it('renders a PR title, branch and log line of HTML as text', async () => {
      // GitHub sends the new title with the next push: the same commit again, titled with markup.
      const secret = readFileSync(path.join(work, 'data', 'webhook-secret'), 'utf8').trim();
      const payload = pullRequestPayload(await describeLocalRepo(shop), 'synchronize', 1, new Date());
      const pushed = await sendWebhook({
        url: `${baseUrl}/api/github/webhook`,
        secret,
        event: 'pull_request',
        rawBody: JSON.stringify(deepMerge(payload, { pull_request: { title: XSS } })),
      });
      expect(pushed.status).toBeLessThan(300);
      await page.getByText(XSS, { exact: true }).waitFor({ timeout: LIVE_MS * 2 });
      await page.getByRole('link', { name: 'local/shop #1' }).click();
      await page.getByRole('log', { name: 'Log lines' }).getByText(XSS).first().waitFor({ timeout: 20_000 });
      await page.getByText(XSS_BRANCH, { exact: true }).first().waitFor();
      expect(await page.locator('img').count()).toBe(0);
      expect(dialogs).toEqual([]);
    });

    it('shows the deployment history, and a line the app logs appears in the follow view within 2 s', async () => {
      const history = page.getByRole('region', { name: 'Deployment history' });
      await history.getByRole('cell', { name: 'succeeded' }).first().waitFor();
      await expect(history.getByRole('cell', { name: 'webhook' }).first().textContent()).resolves.toBe(
        'webhook',
      );
      const marker = `/marker-${Date.now()}`;
      const started = Date.now();
      await getThroughProxy(proxyPort, 'pr-shop-1.localhost', marker);
      await page
        .getByRole('log', { name: 'Log lines' })
        .getByText(`request ${marker}`)
        .waitFor({ timeout: LIVE_MS });
      expect(Date.now() - started).toBeLessThan(LIVE_MS);
    });

    it('redeploys from the preview page: the history gets a manual deployment', async () => {
      await page.getByRole('button', { name: 'Redeploy' }).click();
      await page.getByText('Redeploy requested.').waitFor();
      const history = page.getByRole('region', { name: 'Deployment history' });
      await history.getByRole('cell', { name: 'manual' }).first().waitFor({ timeout: 60_000 });
    });

    it('retries a failed preview; Retry is disabled with its reason on a running one', async () => {
      await expect(page.getByRole('button', { name: 'Retry' }).isDisabled()).resolves.toBe(true);
      await page.getByText('only a failed preview can be retried').waitFor();
      const opened = await cli(
        env,
        'simulate',
        'pull-request',
        'opened',
        '--repo',
        broken,
        '--number',
        '2',
        '--no-wait',
      );
      expect(opened.exitCode).toBe(0);
      await page.goto(`${baseUrl}/environments/pr-broken-2`);
      await page
        .getByRole('heading', { name: /local\/broken #2/ })
        .getByText('failed')
        .waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByText('Retry requested.').waitFor();
      const history = page.getByRole('region', { name: 'Deployment history' });
      await history.getByRole('cell', { name: 'retry', exact: true }).first().waitFor({ timeout: 60_000 });
    });

    it('shows the timeline of a preview, and deliveries with their repository, filtered by it', async () => {
      const timeline = page.getByRole('region', { name: 'Timeline' });
      await timeline.getByText('admin asked for a retry.').waitFor({ timeout: 60_000 });
      await timeline.getByText('(warning)').first().waitFor();
      await expect(timeline.getByRole('listitem').first().textContent()).resolves.toContain(
        'PullRequestOpened',
      );
      await page.goto(`${baseUrl}/deliveries`);
      await page.getByRole('cell', { name: 'local/shop' }).first().waitFor();
      await page.getByRole('textbox', { name: 'Repository' }).fill('local/broken');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/\/deliveries\?repo=local%2Fbroken$/);
      await page.getByRole('cell', { name: '#2' }).first().waitFor();
      await expect(page.getByRole('cell', { name: 'local/shop' }).count()).resolves.toBe(0);
      await page.goto(`${baseUrl}/environments/pr-broken-2`);
      await page.getByRole('heading', { name: /local\/broken #2/ }).waitFor();
    });

    it("shows each repository's last .glimpse.yml check on the Repositories page: valid, or the error", async () => {
      writeFileSync(
        path.join(broken, '.glimpse.yml'),
        'local:\n  start: node server.cjs\n  health: "/a b"\n',
      );
      git(broken, 'commit', '--quiet', '-am', 'a health path with a space');
      const pushed = await cli(
        env,
        'simulate',
        'pull-request',
        'synchronize',
        '--repo',
        broken,
        '--number',
        '2',
        '--no-wait',
      );
      expect(pushed.exitCode).toBe(0);
      await page.goto(`${baseUrl}/repositories`);
      const row = (name: string) =>
        page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
      await row('local/shop').getByText('valid', { exact: true }).waitFor();
      await row('local/shop')
        .getByText(/for PR #1 at/)
        .waitFor();
      // The page is not live: reload until the controller has read the new file.
      await expect
        .poll(
          async () => {
            await page.reload();
            await row('local/broken').waitFor();
            return row('local/broken').textContent();
          },
          { timeout: 60_000, interval: 500 },
        )
        .toContain('field local.health: expected a URL path');
      await row('local/broken').getByText('invalid', { exact: true }).waitFor();
    });

    it('approves and deploys the head commit of a PR that waits for its label, from the preview page', async () => {
      const opened = await cli(
        env,
        'simulate',
        'pull-request',
        'opened',
        '--repo',
        gated,
        '--number',
        '3',
        '--no-wait',
      );
      expect(opened.exitCode).toBe(0);
      const head = git(gated, 'rev-parse', 'HEAD').trim().slice(0, 7);
      await page.goto(`${baseUrl}/environments/pr-gated-3`);
      const timeline = page.getByRole('region', { name: 'Timeline' });
      await timeline.getByText(/GateBlocked/).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: `Approve and deploy ${head}` }).click();
      await page.getByText('Approved; deploy requested.').waitFor();
      await page
        .getByRole('heading', { name: /local\/gated #3/ })
        .getByText('running')
        .waitFor({ timeout: 60_000 });
      // Once the head commit is the one deployed, there is nothing left to approve.
      await expect(page.getByRole('button', { name: /Approve and deploy/ }).count()).resolves.toBe(0);
      await timeline.getByText('admin asked for a deploy.').waitFor();
    }, 120_000);

    it('has no serious or critical accessibility violation on any page, light or dark (axe-core)', async () => {
      const pages = [
        ['previews', '/', 'Previews'],
        ['preview', '/environments/pr-shop-1', 'local/shop #1'],
        ['repositories', '/repositories', 'Repositories'],
        ['deliveries', '/deliveries', 'Deliveries'],
        ['audit', '/audit', 'Audit'],
        ['account', '/account', 'Account'],
      ] as const;
      const shots = process.env.GLIMPSE_SCREENSHOTS_DIR;
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const [name, url, heading] of pages) {
          await page.goto(`${baseUrl}${url}`);
          await page.getByRole('heading', { name: heading }).first().waitFor();
          await page.waitForLoadState('networkidle').catch(() => undefined);
          await expectNoSeriousViolations(page, `${name} (${scheme})`);
          if (shots !== undefined)
            await page.screenshot({ path: path.join(shots, `${name}-${scheme}.png`), fullPage: true });
        }
      }
      if (shots !== undefined) {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(baseUrl);
        await page.getByRole('heading', { name: 'Previews' }).waitFor();
        await page.getByRole('link', { name: 'local/shop #1' }).waitFor();
        await page.screenshot({ path: path.join(shots, 'previews-phone-dark.png'), fullPage: true });
        await page.setViewportSize({ width: 1280, height: 860 });
      }
      await page.emulateMedia({ colorScheme: 'light' });
    });

    it('refuses delete to a member with the reason on screen, and lets an admin delete', async () => {
      expect((await cli(env, 'users', 'add', 'bob', '--team', 'local', '--role', 'member')).exitCode).toBe(0);
      const created = await cli(env, 'tokens', 'create', 'bob');
      const [token] = created.stdout.match(/glp_\S+/) ?? [];
      const member = await launchBrowser();
      try {
        const memberPage = await member.context.newPage();
        await memberPage.goto(`${baseUrl}/environments/pr-shop-1`);
        await memberPage.getByLabel('Token', { exact: true }).fill(token ?? '');
        await memberPage.getByRole('button', { name: 'Sign in' }).click();
        await memberPage.getByRole('heading', { name: /local\/shop #1/ }).waitFor();
        await expect(memberPage.getByRole('button', { name: 'Delete…' }).isDisabled()).resolves.toBe(true);
        await memberPage
          .getByText('only an admin or owner of the team that owns local/shop may delete it')
          .waitFor();
      } finally {
        await member.close();
      }
      await page.goto(`${baseUrl}/environments/pr-shop-1`);
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete pr-shop-1?' });
      await expect(dialog.getByRole('button', { name: 'Delete preview' }).isDisabled()).resolves.toBe(true);
      await dialog.getByLabel(/Type pr-shop-1 to confirm/).fill('pr-shop-1');
      await dialog.getByRole('button', { name: 'Delete preview' }).click();
      await page.getByRole('heading', { name: 'Previews' }).waitFor();
      await page.getByRole('link', { name: 'local/shop #1' }).waitFor({ state: 'detached', timeout: 60_000 });
    });

    it('goes from the list to a preview and back with the keyboard only', async () => {
      await page.goto(baseUrl);
      const link = page.getByRole('link', { name: 'local/broken #2' });
      await link.waitFor();
      await tabUntil(page, '/environments/pr-broken-2');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: /local\/broken #2/ }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/environments/pr-broken-2');
      await tabUntil(page, '/');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Previews' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
    });

    it('creates and revokes an API token on the account page, shown once', async () => {
      await page.goto(`${baseUrl}/account`);
      await page.getByLabel('Token name').fill('dashboard-test');
      await page.getByRole('button', { name: 'Create token' }).click();
      const shown = await page.locator('.new-token').textContent();
      expect(shown).toMatch(/^glp_/);
      const answer = await fetch(`${baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${shown}` } });
      expect(answer.status).toBe(200);
      await page.getByRole('button', { name: 'Revoke dashboard-test' }).click();
      await page.getByRole('button', { name: 'Revoke dashboard-test' }).waitFor({ state: 'detached' });
      const revoked = await fetch(`${baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${shown}` } });
      expect(revoked.status).toBe(401);
    });

    it('sends an expired session to sign-in and back to the page it came from', async () => {
      const created = await cli(env, 'tokens', 'create', 'admin');
      const [token] = created.stdout.match(/glp_\S+/) ?? [];
      await admin.context.clearCookies();
      await page.goto(`${baseUrl}/environments/pr-broken-2`);
      await page.getByRole('heading', { name: 'Sign in to Glimpse' }).waitFor();
      expect(new URL(page.url()).searchParams.get('next')).toBe('/environments/pr-broken-2');
      await expectNoSeriousViolations(page, 'sign-in');
      if (process.env.GLIMPSE_SCREENSHOTS_DIR !== undefined)
        await page.screenshot({ path: path.join(process.env.GLIMPSE_SCREENSHOTS_DIR, 'sign-in-light.png') });
      await page.getByLabel('Token', { exact: true }).fill(token ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: /local\/broken #2/ }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/environments/pr-broken-2');
    });
  },
);

/** axe-core finds no serious or critical violation on the page as it is now. */
async function expectNoSeriousViolations(page: Page, label: string): Promise<void> {
  // evaluate() runs outside the page's CSP, so axe needs no script tag the policy would refuse.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate<{ id: string; impact: string; help: string }[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help })))`,
  );
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    label,
  ).toEqual([]);
}

/** Presses Tab until the focused element is a link to `href`. */
async function tabUntil(page: Page, href: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string | null>(
      'document.activeElement && document.activeElement.getAttribute("href")',
    );
    if (focused === href) return;
  }
  throw new Error(`no link to ${href} was reached within ${limit} presses of Tab`);
}
