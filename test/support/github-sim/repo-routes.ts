import { nodeId, pullRequestJson, repoJson, userJson } from './fixtures.ts';
import { archive, readCommit, readPath, revParse } from './git-repo.ts';
import { error, notFound, paginate, type Route, type SimContext, withLink } from './route.ts';
import type { Permission, SimRepo } from './sim-state.ts';

/** GitHub's contents API answers a file's content in JSON only up to 1 MB. */
const CONTENTS_JSON_LIMIT = 1024 * 1024;

const HTML = 'https://github.com';

async function resolveRef(repo: SimRepo, ref: string | null): Promise<string | undefined> {
  return revParse(repo.gitDir, ref || repo.defaultBranch);
}

function headRepoOf(context: SimContext, fullName: string): SimRepo {
  return context.state.repos.get(fullName.toLowerCase()) ?? context.repo;
}

const roleToPermission: Record<Permission, 'admin' | 'write' | 'read' | 'none'> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

export const repoRoutes: Route[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    auth: 'installation',
    handle: (_request, { api, repo }) => ({ status: 200, body: repoJson(api, repo) }),
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/contents/{path}',
    auth: 'installation',
    handle: async (request, { api, repo }) => {
      const ref = request.query.get('ref') || repo.defaultBranch;
      const sha = await resolveRef(repo, ref);
      if (!sha) return error(404, `No commit found for the ref ${ref}`);
      const path = (request.params.path ?? '').replace(/^\/+|\/+$/g, '');
      const object = await readPath(repo.gitDir, sha, path);
      if (!object) return notFound();
      const base = `${api}/repos/${repo.fullName}`;
      const entry = (name: string, entryPath: string, type: string, entrySha: string, size: number) => ({
        type,
        size,
        name,
        path: entryPath,
        sha: entrySha,
        url: `${base}/contents/${entryPath}?ref=${encodeURIComponent(ref)}`,
        git_url: `${base}/git/${type === 'dir' ? 'trees' : 'blobs'}/${entrySha}`,
        html_url: `${HTML}/${repo.fullName}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${entryPath}`,
        download_url:
          type === 'file' ? `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${entryPath}` : null,
        _links: {
          self: `${base}/contents/${entryPath}?ref=${encodeURIComponent(ref)}`,
          git: `${base}/git/${type === 'dir' ? 'trees' : 'blobs'}/${entrySha}`,
          html: `${HTML}/${repo.fullName}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${entryPath}`,
        },
      });
      if (object.type === 'tree') {
        const body = object.entries.map((item) => {
          const type = item.type === 'tree' ? 'dir' : item.type === 'commit' ? 'submodule' : 'file';
          return entry(item.name, path ? `${path}/${item.name}` : item.name, type, item.sha, item.size);
        });
        return { status: 200, body };
      }
      const accept = String(request.headers.accept ?? '');
      if (accept.includes('application/vnd.github.raw')) {
        return {
          status: 200,
          raw: object.content,
          headers: { 'content-type': 'application/vnd.github.raw' },
        };
      }
      const name = path.split('/').at(-1) ?? path;
      // As GitHub: past 1 MB the JSON answer carries no content (encoding "none"); the raw media type has it.
      const tooLarge = object.content.length > CONTENTS_JSON_LIMIT;
      const content = tooLarge ? '' : (object.content.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
      const body = {
        ...entry(name, path, 'file', object.sha, object.content.length),
        content,
        encoding: tooLarge ? 'none' : 'base64',
      };
      return { status: 200, body };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/tarball/{ref}',
    auth: 'installation',
    handle: async (request, { repo, downloadUrl }) => {
      const sha = await resolveRef(repo, request.params.ref ?? null);
      if (!sha) return notFound();
      const prefix = `${repo.owner.login}-${repo.name}-${sha.slice(0, 7)}`;
      const tarball = await archive(repo.gitDir, sha, `${prefix}/`);
      if (!tarball) return notFound();
      return { status: 302, headers: { location: downloadUrl(tarball, `${prefix}.tar.gz`) } };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    auth: 'installation',
    handle: async (request, { api, repo }) => {
      const sha = await resolveRef(repo, request.params.ref ?? null);
      if (!sha) return error(422, `No commit found for SHA: ${request.params.ref}`);
      const runs = repo.checkRuns.get(sha) ?? [];
      const { page, link } = paginate(runs, request, api);
      const body = {
        total_count: runs.length,
        check_runs: page.map((run) => ({
          id: run.id,
          node_id: nodeId('CheckRun', run.id),
          head_sha: sha,
          external_id: '',
          url: `${api}/repos/${repo.fullName}/check-runs/${run.id}`,
          html_url: `${HTML}/${repo.fullName}/runs/${run.id}`,
          details_url: `${HTML}/${repo.fullName}/runs/${run.id}`,
          status: run.status,
          conclusion: run.status === 'completed' ? run.conclusion : null,
          started_at: repo.createdAt,
          completed_at: run.status === 'completed' ? repo.createdAt : null,
          output: {
            title: null,
            summary: null,
            text: null,
            annotations_count: 0,
            annotations_url: `${api}/repos/${repo.fullName}/check-runs/${run.id}/annotations`,
          },
          name: run.name,
          check_suite: { id: run.id + 1_000_000 },
          app: null,
          pull_requests: [],
        })),
      };
      return withLink(body, link);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/status',
    auth: 'installation',
    handle: async (request, { api, repo }) => {
      const sha = await resolveRef(repo, request.params.ref ?? null);
      if (!sha) return notFound();
      // The latest status per context, newest first, like GitHub.
      const latest = new Map<string, NonNullable<ReturnType<SimRepo['statuses']['get']>>[number]>();
      for (const status of [...(repo.statuses.get(sha) ?? [])].reverse()) {
        if (!latest.has(status.context)) latest.set(status.context, status);
      }
      const statuses = [...latest.values()];
      const state = statuses.some((s) => s.state === 'error' || s.state === 'failure')
        ? 'failure'
        : statuses.length === 0 || statuses.some((s) => s.state === 'pending')
          ? 'pending'
          : 'success';
      const body = {
        state,
        sha,
        total_count: statuses.length,
        statuses: statuses.map((s) => ({
          url: `${api}/repos/${repo.fullName}/statuses/${sha}`,
          avatar_url: null,
          id: s.id,
          node_id: nodeId('StatusContext', s.id),
          state: s.state,
          description: s.description,
          target_url: s.targetUrl,
          context: s.context,
          created_at: s.createdAt,
          updated_at: s.createdAt,
        })),
        repository: repoJson(api, repo),
        commit_url: `${api}/repos/${repo.fullName}/commits/${sha}`,
        url: `${api}/repos/${repo.fullName}/commits/${sha}/status`,
      };
      return { status: 200, body };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}',
    auth: 'installation',
    handle: async (request, { api, repo }) => {
      const sha = await resolveRef(repo, request.params.ref ?? null);
      const commit = sha ? await readCommit(repo.gitDir, sha) : undefined;
      if (!commit) return error(422, `No commit found for SHA: ${request.params.ref}`);
      const base = `${api}/repos/${repo.fullName}`;
      const body = {
        url: `${base}/commits/${commit.sha}`,
        sha: commit.sha,
        node_id: nodeId('Commit', Number.parseInt(commit.sha.slice(0, 8), 16)),
        html_url: `${HTML}/${repo.fullName}/commit/${commit.sha}`,
        comments_url: `${base}/commits/${commit.sha}/comments`,
        commit: {
          url: `${base}/git/commits/${commit.sha}`,
          author: { name: commit.authorName, email: commit.authorEmail, date: commit.authorDate },
          committer: { name: commit.committerName, email: commit.committerEmail, date: commit.committerDate },
          message: commit.message,
          tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
          comment_count: 0,
          verification: {
            verified: false,
            reason: 'unsigned',
            signature: null,
            payload: null,
            verified_at: null,
          },
        },
        author: null,
        committer: null,
        parents: commit.parents.map((parent) => ({
          sha: parent,
          url: `${base}/commits/${parent}`,
          html_url: `${HTML}/${repo.fullName}/commit/${parent}`,
        })),
        files: [],
      };
      return { status: 200, body };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/collaborators/{username}/permission',
    auth: 'installation',
    handle: (request, { api, repo }) => {
      const login = request.params.username ?? '';
      const role = repo.permissions.get(login.toLowerCase()) ?? 'none';
      const permission = roleToPermission[role];
      const user = {
        ...userJson(api, { login, id: 1000 + login.length, type: 'User' }),
        role_name: role,
        permissions: {
          admin: permission === 'admin',
          maintain: role === 'admin' || role === 'maintain',
          push: permission === 'admin' || permission === 'write',
          triage: permission !== 'none',
          pull: permission !== 'none',
        },
      };
      return { status: 200, body: { permission, role_name: role, user } };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls',
    auth: 'installation',
    handle: (request, context) => {
      const wanted = request.query.get('state') ?? 'open';
      const pulls = [...context.repo.pulls.values()]
        .filter((pr) => wanted === 'all' || pr.state === wanted)
        .sort((a, b) => b.number - a.number);
      const { page, link } = paginate(pulls, request, context.api);
      const body = page.map((pr) =>
        pullRequestJson(context.api, context.repo, pr, headRepoOf(context, pr.headRepoFullName)),
      );
      return withLink(body, link);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}',
    auth: 'installation',
    handle: (request, context) => {
      const pr = context.repo.pulls.get(Number(request.params.pull_number));
      if (!pr) return notFound();
      const body = pullRequestJson(context.api, context.repo, pr, headRepoOf(context, pr.headRepoFullName));
      return { status: 200, body };
    },
  },
];
