import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/config.ts';
import { openClientDatabase } from '../../src/db/connect-database.ts';
import { eq } from '../../src/db/drizzle-orm.ts';
import { githubApps, users } from '../../src/db/schema.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import { createSessionSealer, newSession, SESSION_COOKIE } from '../../src/http/session-cookie.ts';
import { loadGithubApp } from '../../src/services/github-app/github-app-store.ts';
import { createSecretBox } from '../../src/services/github-app/secret-box.ts';
import { type AppRepo, createAppRepo } from '../local-runtime/support/app-repo.ts';
import { cli } from '../support/cli.ts';
import { connectRepo } from '../support/connect-repo.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { pullRequestOverrides } from '../support/glimpse-harness.ts';
import { freePort, type GlimpseProcess, startGlimpse } from '../support/glimpse-process.ts';
import { waitFor } from '../support/wait-for.ts';
import { sendWebhook } from '../support/webhook-sender.ts';

const FULL_NAME = 'acme/shop';
const BANNER = /listening\s+http:\/\/\S+/;

/** The form the connect page shows: where it posts, and the manifest it carries. */
function readForm(html: string): { action: string; manifest: unknown } {
  const decodeHtml = (text: string) =>
    text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const action = html.match(/<form method="post" action="([^"]+)">/)?.[1];
  const manifest = html.match(/<input type="hidden" name="manifest" value="([^"]+)">/)?.[1];
  if (action === undefined || manifest === undefined) throw new Error(`no manifest form in:\n${html}`);
  return { action: decodeHtml(action), manifest: JSON.parse(decodeHtml(manifest)) };
}

const Status = z.object({
  appId: z.number().nullable(),
  sources: z.object({ app: z.string(), webhookSecret: z.string(), oauth: z.string() }),
  stored: z.object({ appId: z.number(), slug: z.string(), owner: z.string().nullable() }).nullable(),
});

// The whole manifest flow against the GitHub simulator, then a PR end to end with what it stored: the real
// `glimpse serve` with no GitHub variables set.
describe('connecting GitHub with the App manifest flow', () => {
  let github: GithubSimulator;
  let dataDir: string;
  let repoDir: string;
  let app: AppRepo;
  let env: Record<string, string>;
  let publicUrl: string;
  let glimpse: GlimpseProcess | undefined;

  async function serve(): Promise<GlimpseProcess> {
    glimpse = startGlimpse(['serve'], env);
    await glimpse.waitForOutput(BANNER, 60_000);
    return glimpse;
  }

  async function stop(): Promise<void> {
    glimpse?.kill('SIGTERM');
    await glimpse?.exited(30_000);
    glimpse = undefined;
  }

  beforeAll(async () => {
    github = await startGithubSimulator();
    dataDir = await mkdtemp(path.join(tmpdir(), 'glimpse-connect-'));
    repoDir = await mkdtemp(path.join(tmpdir(), 'glimpse-connect-repo-'));
    app = createAppRepo(repoDir);
    app.commit('v1', { '.glimpse.yml': 'local:\n  start: node server.cjs\n  health: /health\n' });
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    env = {
      GLIMPSE_PORT: String(port),
      GLIMPSE_PUBLIC_URL: publicUrl,
      GLIMPSE_DATA_DIR: dataDir,
      GLIMPSE_PROXY_PORT: '0',
      GLIMPSE_ALLOW_FILE_REPOS: '1',
      GITHUB_API_URL: github.url,
    };
  });

  afterAll(async () => {
    glimpse?.kill('SIGKILL');
    await glimpse?.exited().catch(() => undefined);
    github.assertClean();
    await github.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(repoDir, { recursive: true, force: true });
  });

  it('creates the App on GitHub from a link, and stores it encrypted', async () => {
    const first = await serve();
    expect(first.output()).toContain('GitHub App not configured');
    const connect = await cli(env, 'github', 'connect', '--organization', 'acme', '--json');
    expect(connect.exitCode, connect.stderr).toBe(0);
    const { url } = z.object({ url: z.string() }).parse(JSON.parse(connect.stdout));
    expect(url.startsWith(`${publicUrl}/api/github/app/new?ticket=`)).toBe(true);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    const { action, manifest } = readForm(await page.text());
    expect(action.startsWith(`${github.url}/organizations/acme/settings/apps/new?state=`)).toBe(true);
    expect(manifest).toMatchObject({
      name: `Glimpse 127.0.0.1:${new URL(publicUrl).port}`,
      url: publicUrl,
      hook_attributes: { url: `${publicUrl}/api/github/webhook`, active: true },
      redirect_url: `${publicUrl}/api/github/app/callback`,
      callback_urls: [`${publicUrl}/auth/github/callback`],
      public: false,
      default_permissions: { pull_requests: 'read', issues: 'write', deployments: 'write', contents: 'read' },
      default_events: expect.arrayContaining(['pull_request', 'check_run']),
    });

    // The browser posts the form to GitHub, which creates the App and sends it back with a code.
    const created = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ manifest: JSON.stringify(manifest) }),
      redirect: 'manual',
    });
    expect(created.status).toBe(302);
    const back = created.headers.get('location') ?? '';
    expect(back.startsWith(`${publicUrl}/api/github/app/callback?code=`)).toBe(true);
    const done = await fetch(back);
    const text = await done.text();
    expect(done.status, text).toBe(200);
    expect(text).toContain(`(id ${github.appId})`);
    expect(github.appManifests.created?.id).toBe(github.appId);
    expect(github.appManifests.posted.map((p) => p.organization)).toEqual(['acme']);

    // The code works once.
    const again = await fetch(back);
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('run \\"glimpse github connect\\" again');
    const status = Status.parse(JSON.parse((await cli(env, 'github', 'status', '--json')).stdout));
    expect(status).toMatchObject({
      appId: github.appId,
      sources: { app: 'database', webhookSecret: 'database', oauth: 'database' },
      stored: { appId: github.appId, slug: github.appSlug, owner: 'acme' },
    });
    const human = await cli(env, 'github', 'status');
    expect(human.stdout).toContain(`GitHub App ${github.appId} (${github.appSlug}) from the database`);
    expect(human.stdout).not.toContain('PRIVATE KEY');

    // At rest the key and secrets are sealed; another key cannot open them, and says what to do.
    const database = await openClientDatabase(loadConfig(env));
    try {
      const [row] = await database.db.select().from(githubApps);
      expect(row?.sealedSecrets).not.toContain('PRIVATE KEY');
      expect(row?.sealedSecrets).not.toContain(github.appManifests.created?.webhookSecret);
      await expect(loadGithubApp(database.db, createSecretBox('x'.repeat(32)))).rejects.toThrow(
        /stored encrypted with another key: set GLIMPSE_SECRET_KEY/,
      );
    } finally {
      await database.close();
    }
  });

  it('lets a signed-in administrator start it without a ticket (the dashboard button), and nobody else', async () => {
    const anonymous = await fetch(`${publicUrl}/api/github/app/new`);
    expect(anonymous.status).toBe(401);
    const token = glimpse?.output().match(/glp_[A-Za-z0-9_-]+/)?.[0];
    if (token === undefined) throw new Error('no bootstrap token in the banner');
    const signIn = await fetch(`${publicUrl}/auth/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(`${publicUrl}/api/github/app/new?organization=globex`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const { action } = readForm(await page.text());
    expect(action.startsWith(`${github.url}/organizations/globex/settings/apps/new?state=`)).toBe(true);

    // A signed-in member who is not an administrator may not.
    expect((await cli(env, 'teams', 'create', 'acme')).exitCode).toBe(0);
    expect((await cli(env, 'users', 'add', 'mia', '--team', 'acme')).exitCode).toBe(0);
    const database = await openClientDatabase(loadConfig(env));
    const [mia] = await database.db.select().from(users).where(eq(users.githubLogin, 'mia'));
    await database.close();
    const sealer = createSessionSealer((await readFile(path.join(dataDir, 'session-secret'), 'utf8')).trim());
    const member = `${SESSION_COOKIE}=${sealer.seal(newSession(mia?.id ?? '', Date.now()))}`;
    const refused = await fetch(`${publicUrl}/api/github/app/new`, { headers: { cookie: member } });
    expect(refused.status).toBe(403);
  });

  it('refuses a forged or expired link and a state it did not issue', async () => {
    const forged = await fetch(`${publicUrl}/api/github/app/new?ticket=e30.c2lnbmF0dXJl`);
    expect(forged.status).toBe(401);
    const callback = await fetch(`${publicUrl}/api/github/app/callback?code=abc&state=e30.c2lnbmF0dXJl`);
    expect(callback.status).toBe(401);
    expect(await callback.text()).toContain('did not issue');
  });

  it('after a restart, runs a PR end to end with the stored App: webhook secret, installation token, comment', async () => {
    await stop();
    const second = await serve();
    expect(second.output()).toContain(
      `GitHub App ${github.appId} via ${github.url} (connected with glimpse github connect)`,
    );
    const secret = github.appManifests.created?.webhookSecret ?? '';
    const webhookUrl = `${publicUrl}/api/github/webhook`;
    const { id, response } = await connectRepo({
      github,
      webhookUrl,
      secret,
      fullName: FULL_NAME,
      gitDir: repoDir,
    });
    expect(response.status).toBe(200);
    const sha = app.commit('v1-pr1');
    await github.openPullRequest({ repo: FULL_NAME, number: 1, headRef: 'feature-1', headSha: sha });
    const opened = await sendWebhook({
      url: webhookUrl,
      secret,
      event: 'pull_request',
      action: 'opened',
      overrides: pullRequestOverrides('opened', {
        repo: { id, fullName: FULL_NAME, cloneUrl: `file://${repoDir}` },
        number: 1,
        sha,
        updatedAt: '2024-01-01T00:00:00Z',
      }),
    });
    expect(opened.status).toBe(202);
    const comment = await waitFor(
      () =>
        github
          .comments(FULL_NAME, 1)
          .find((c) => c.body.includes(PR_COMMENT_MARKER) && c.body.includes('pr-shop-1.localhost')),
      60_000,
      'the PR comment with the preview URL',
    );
    expect(comment.author).toBe(`${github.appSlug}[bot]`);
    expect(
      github.requestsTo('POST /app/installations/{installation_id}/access_tokens').length,
    ).toBeGreaterThan(0);
    // A delivery signed with another secret is refused: the stored one is in use, not a generated one.
    const wrong = await sendWebhook({ url: webhookUrl, secret: 'not-the-secret-0123456789', event: 'ping' });
    expect(wrong.status).toBe(401);
    expect(await readFile(path.join(dataDir, 'secret-key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    await stop();
  }, 120_000);
});
