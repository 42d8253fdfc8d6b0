import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppManifestRoutes } from './app-manifest-sim.ts';
import { commentRoutes } from './comment-routes.ts';
import { deploymentRoutes } from './deployment-routes.ts';
import { Faults } from './faults.ts';
import { revParse } from './git-repo.ts';
import type { GithubSimulator, GithubSimulatorOptions } from './github-simulator.ts';
import { createRequestHandler, type IssuedToken, type RecordedRequest } from './handle-request.ts';
import { createOAuthRoutes } from './oauth-sim.ts';
import { repoRoutes } from './repo-routes.ts';
import type { Route } from './route.ts';
import type { SimCommitStatus, SimPullRequest, SimRepo, SimState, SimUser } from './sim-state.ts';

export type {
  AddRepoOptions,
  GithubSimulator,
  GithubSimulatorOptions,
  OpenPullRequestOptions,
  RouteSelector,
} from './github-simulator.ts';
export type { RecordedRequest } from './handle-request.ts';
export type { Permission } from './sim-state.ts';

const routes: Route[] = [...repoRoutes, ...commentRoutes, ...deploymentRoutes, tokenRoute(), appRoute()];

function appRoute(): Route {
  // GET /app, authenticated with the App JWT; handled by the pipeline like the token route.
  return { method: 'GET', template: '/app', auth: 'none', handle: () => ({ status: 500 }) };
}

function tokenRoute(): Route {
  // Handled by the pipeline (it needs the App key); listed so the route is known.
  return {
    method: 'POST',
    template: '/app/installations/{installation_id}/access_tokens',
    auth: 'none',
    handle: () => ({ status: 500 }),
  };
}

export async function startGithubSimulator(options: GithubSimulatorOptions = {}): Promise<GithubSimulator> {
  const now = options.now ?? Date.now;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let lastId = 1_000;
  const state: SimState = {
    appId: options.appId ?? 4242,
    appSlug: options.appSlug ?? 'glimpse',
    bot: { login: `${options.appSlug ?? 'glimpse'}[bot]`, id: 900_001, type: 'Bot' },
    repos: new Map(),
    nextId: () => {
      lastId += 1;
      return lastId;
    },
    nowIso: () => new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const faults = new Faults();
  const tokens = new Map<string, IssuedToken>();
  const requests: RecordedRequest[] = [];
  const unexpectedRequests: RecordedRequest[] = [];
  const schemaViolations: string[] = [];
  let url = '';
  const handler = createRequestHandler({
    state,
    routes,
    faults,
    tokens,
    downloads: new Map(),
    publicKey,
    now,
    validate: options.validateResponses ?? true,
    requests,
    unexpectedRequests,
    schemaViolations,
    baseUrl: () => url,
  });
  const oauth = createOAuthRoutes({ idOf: hash, nowIso: state.nowIso });
  const manifests = createAppManifestRoutes({
    appId: state.appId,
    appSlug: state.appSlug,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    user: { login: 'octocat', id: 10_000 + hash('octocat'), type: 'User' },
    nowIso: state.nowIso,
    onCreated: (app) => oauth.api.setClient(app.clientId, app.clientSecret),
  });
  const server = createServer((req, res) => {
    oauth
      .handle(req, res, url)
      .then(async (handled) => handled || (await manifests.handle(req, res, url)))
      .then((handled) => (handled ? undefined : handler(req, res)))
      .catch((cause: unknown) => {
        console.error('github-sim: request failed', cause);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const address = server.address() as AddressInfo;
  url = `http://${address.address}:${address.port}`;

  const repoOf = (fullName: string): SimRepo => {
    const repo = state.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`github-sim: unknown repo ${fullName}; call addRepo first`);
    return repo;
  };
  const user = (login: string): SimUser => ({ login, id: 10_000 + hash(login), type: 'User' });

  return {
    url,
    appId: state.appId,
    appSlug: state.appSlug,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    requests,
    unexpectedRequests,
    schemaViolations,
    oauth: oauth.api,
    appManifests: manifests.api,
    async addRepo(repoOptions) {
      const [ownerLogin = '', name = ''] = repoOptions.fullName.split('/');
      const id = state.nextId();
      const defaultBranch =
        repoOptions.defaultBranch ??
        ((await revParse(repoOptions.gitDir, 'main'))
          ? 'main'
          : (await revParse(repoOptions.gitDir, 'master'))
            ? 'master'
            : 'main');
      state.repos.set(repoOptions.fullName.toLowerCase(), {
        id,
        owner: { login: ownerLogin, id: 20_000 + hash(ownerLogin), type: 'Organization' },
        name,
        fullName: repoOptions.fullName,
        gitDir: repoOptions.gitDir,
        installationId: repoOptions.installationId,
        private: repoOptions.private ?? false,
        defaultBranch,
        createdAt: state.nowIso(),
        pulls: new Map(),
        comments: new Map(),
        deletedComments: new Set(),
        deployments: new Map(),
        permissions: new Map(),
        checkRuns: new Map(),
        statuses: new Map(),
      });
      return { id, fullName: repoOptions.fullName };
    },
    renameRepo(from, to) {
      const repo = repoOf(from);
      const [ownerLogin = '', name = ''] = to.split('/');
      state.repos.delete(from.toLowerCase());
      repo.fullName = to;
      repo.name = name;
      if (ownerLogin.toLowerCase() !== repo.owner.login.toLowerCase())
        repo.owner = { login: ownerLogin, id: 20_000 + hash(ownerLogin), type: 'Organization' };
      state.repos.set(to.toLowerCase(), repo);
    },
    async openPullRequest(pr) {
      const repo = repoOf(pr.repo);
      const headRepo = pr.headRepo ? repoOf(pr.headRepo) : repo;
      const headSha = pr.headSha ?? (await revParse(headRepo.gitDir, pr.headRef));
      const baseRef = pr.baseRef ?? repo.defaultBranch;
      const baseSha = await revParse(repo.gitDir, baseRef);
      if (!headSha || !baseSha) throw new Error(`github-sim: cannot resolve ${pr.headRef} or ${baseRef}`);
      const number = pr.number ?? Math.max(0, ...repo.pulls.keys()) + 1;
      const existing = repo.pulls.get(number);
      const created: SimPullRequest = {
        id: existing?.id ?? state.nextId(),
        number,
        title: pr.title ?? `Change ${pr.headRef}`,
        body: pr.body ?? null,
        state: 'open',
        merged: false,
        user: user(pr.author ?? 'octocat'),
        headRef: pr.headRef,
        headSha,
        headRepoFullName: headRepo.fullName,
        baseRef,
        baseSha,
        labels: pr.labels ?? [],
        createdAt: existing?.createdAt ?? state.nowIso(),
        updatedAt: state.nowIso(),
        closedAt: null,
      };
      repo.pulls.set(number, created);
      return number;
    },
    closePullRequest(repoName, number, closeOptions = {}) {
      const pr = repoOf(repoName).pulls.get(number);
      if (!pr) throw new Error(`github-sim: no PR #${number} in ${repoName}`);
      pr.state = 'closed';
      pr.merged = closeOptions.merged ?? false;
      pr.closedAt = state.nowIso();
      pr.updatedAt = pr.closedAt;
    },
    setPermission(repoName, login, permission) {
      repoOf(repoName).permissions.set(login.toLowerCase(), permission);
    },
    setCheckRun(repoName, sha, run) {
      const runs = repoOf(repoName).checkRuns;
      const list = (runs.get(sha) ?? []).filter((existing) => existing.name !== run.name);
      runs.set(sha, [...list, { ...run, id: state.nextId() }]);
    },
    setCommitStatus(repoName, sha, status) {
      const statuses = repoOf(repoName).statuses;
      const created: SimCommitStatus = {
        id: state.nextId(),
        description: null,
        targetUrl: null,
        createdAt: state.nowIso(),
        ...status,
      };
      statuses.set(sha, [...(statuses.get(sha) ?? []), created]);
    },
    addComment(repoName, issueNumber, body, author) {
      const repo = repoOf(repoName);
      const id = state.nextId();
      const at = state.nowIso();
      const by = author ? user(author) : state.bot;
      repo.comments.set(id, { id, issueNumber, body, user: by, createdAt: at, updatedAt: at });
      return id;
    },
    comments(repoName, issueNumber) {
      return [...repoOf(repoName).comments.values()]
        .filter((comment) => comment.issueNumber === issueNumber)
        .map((comment) => ({ id: comment.id, body: comment.body, author: comment.user.login }));
    },
    deleteComment(repoName, commentId) {
      const repo = repoOf(repoName);
      repo.comments.delete(commentId);
      repo.deletedComments.add(commentId);
    },
    deployments: (repoName) => [...repoOf(repoName).deployments.values()],
    failNext: (route, count, status = 502) => faults.failNext(route, count, status),
    slowNext: (route, ms, count = 1) => faults.slowNext(route, ms, count),
    exhaustRateLimit({ resetInSeconds, status = 403 }) {
      const resetAt = Math.ceil((now() + resetInSeconds * 1000) / 1000);
      faults.primary = { resetAt, status };
      return { resetAt };
    },
    consumeRateLimit(count) {
      faults.usedElsewhere += count;
    },
    secondaryRateLimit({ route, retryAfterSeconds, count = 1 }) {
      faults.secondaryNext(route, retryAfterSeconds, count);
    },
    revokeTokens: () => tokens.clear(),
    requestsTo: (route) => requests.filter((request) => request.route === route),
    assertClean() {
      const problems = [
        ...unexpectedRequests.map((r) => `unexpected request ${r.method} ${r.path}`),
        ...schemaViolations,
      ];
      if (problems.length > 0) throw new Error(`github-sim: ${problems.join('\n')}`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((cause) => (cause ? reject(cause) : resolve()));
      }),
  };
}

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + (char.codePointAt(0) ?? 0)) % 1_000_000;
  return value;
}
