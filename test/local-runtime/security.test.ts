import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/runtimes/runtime.ts';
import { type AppRepo, createAppRepo, git } from './support/app-repo.ts';
import { type GitHttpServer, startGitHttpServer } from './support/git-http-server.ts';
import { type Harness, hostOf, request, specFor, startHarness, tempDir } from './support/runtime-harness.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile() === true);
}

/** Secrets as Glimpse's own environment would hold them; none may reach a preview. */
const GLIMPSE_SECRETS = {
  GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY----- test',
  GITHUB_WEBHOOK_SECRET: 'webhook-secret-test',
  DATABASE_URL: 'postgres://glimpse:pw@db/glimpse',
};

describe('local runtime: secrets stay out of previews, disk and logs', () => {
  const temp = tempDir('security');
  const token = `ghs_${randomBytes(18).toString('hex')}`;
  let repo: AppRepo;
  let server: GitHttpServer;
  let h: Harness;
  let sha: string;
  let cloneUrl: string;

  beforeAll(async () => {
    Object.assign(process.env, GLIMPSE_SECRETS);
    repo = createAppRepo(path.join(temp.dir, 'work'));
    // The PR's commit lives only under refs/pull/5/head on the server, as on GitHub.
    git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    sha = repo.commit('secret-test');
    const served = path.join(temp.dir, 'served');
    git(temp.dir, 'clone', '--quiet', '--bare', repo.dir, path.join(served, 'app.git'));
    git(path.join(served, 'app.git'), 'update-ref', 'refs/pull/5/head', sha);
    git(path.join(served, 'app.git'), 'branch', '-D', 'feature');
    server = await startGitHttpServer(served, token);
    cloneUrl = `${server.url}/app.git`;
    h = await startHarness(path.join(temp.dir, 'data'), { allowFileRepos: false });
  });

  afterAll(async () => {
    for (const name of Object.keys(GLIMPSE_SECRETS)) delete process.env[name];
    await h?.runtime.close();
    await server?.close();
    temp.remove();
  });

  it('fetches over HTTP with the token through askpass, and the token lands nowhere on disk or in logs', async () => {
    const spec = specFor({ cloneUrl, commitSha: sha, prNumber: 5, fetchToken: token });
    await h.runtime.deploy(spec, AbortSignal.timeout(20_000));
    const reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-5'));
    expect(reply.body).toBe(`version=secret-test commit=${sha}\n`);

    const basic = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    expect(server.authorizations).toContain(basic); // the token really went over the wire

    const needles = [token, Buffer.from(`x-access-token:${token}`).toString('base64')];
    const files = filesUnder(h.dataDir);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const content = readFileSync(file).toString('latin1');
      for (const needle of needles) expect(content.includes(needle), `${file} holds the token`).toBe(false);
    }
    for (const line of h.logLines) expect(line).not.toContain(token);
    const logs: string[] = [];
    for await (const line of h.runtime.logs(spec, { tailLines: 1000, timestamps: true, follow: false }))
      logs.push(line.text);
    expect(logs.join('\n')).not.toContain(token);

    const repos = path.join(h.dataDir, 'local', 'repos');
    const [bare] = readdirSync(repos);
    const config = readFileSync(path.join(repos, bare ?? '', 'config'), 'utf8');
    expect(config).not.toContain('[remote');
    expect(config).not.toContain(server.url);
  });

  it('a rejected token fails transiently, and the error does not repeat it', async () => {
    const wrong = `ghs_${randomBytes(18).toString('hex')}`;
    const newer = repo.commit('secret-test-2');
    git(path.join(temp.dir, 'served', 'app.git'), 'fetch', '--quiet', repo.dir, `+${newer}:refs/pull/5/head`);
    const error = await h.runtime
      .deploy(
        specFor({ cloneUrl, commitSha: newer, prNumber: 5, fetchToken: wrong }),
        AbortSignal.timeout(20_000),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeFailure);
    expect((error as RuntimeFailure).transient).toBe(true);
    expect((error as RuntimeFailure).message).toContain('Cannot fetch the source');
    expect(JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) })).not.toContain(
      wrong,
    );
    for (const line of h.logLines) expect(line).not.toContain(wrong);
    // The running version is untouched.
    const reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-5'));
    expect(reply.body).toBe(`version=secret-test commit=${sha}\n`);
  });

  it("a preview's environment holds nothing of Glimpse's own environment", async () => {
    expect(process.env.GITHUB_WEBHOOK_SECRET).toBe(GLIMPSE_SECRETS.GITHUB_WEBHOOK_SECRET);
    const reply = await request(h.runtime.proxyPort, hostOf(h.runtime, 'pr-app-5'), '/env');
    const env = JSON.parse(reply.body) as Record<string, string>;
    const allowed = ['PATH', 'HOME', 'PORT', 'GLIMPSE_PREVIEW', 'GLIMPSE_COMMIT_SHA', 'GLIMPSE_PR_NUMBER'];
    // sh and node may add a few variables of their own (PWD, SHLVL, _); nothing else may appear.
    const shellOwn = ['PWD', 'OLDPWD', 'SHLVL', '_'];
    expect(Object.keys(env).filter((k) => !allowed.includes(k) && !shellOwn.includes(k))).toEqual([]);
    const text = JSON.stringify(env);
    for (const secret of Object.values(GLIMPSE_SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain(token);
    expect(env.HOME).toContain(h.dataDir);
  });
});
