import { deploymentJson, deploymentStatusJson } from './fixtures.ts';
import { revParse } from './git-repo.ts';
import { error, field, notFound, paginate, type Route, stringField, withLink } from './route.ts';
import type { SimDeployment } from './sim-state.ts';

const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];

export const deploymentRoutes: Route[] = [
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/deployments',
    auth: 'installation',
    handle: async (request, { api, repo, state }) => {
      const ref = stringField(request.body, 'ref');
      if (!ref) return error(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
      const sha = await revParse(repo.gitDir, ref);
      if (!sha) return error(422, `No ref found for: ${ref}`);
      const required = field(request.body, 'required_contexts');
      const requiredContexts = Array.isArray(required) ? required.map(String) : undefined;
      // Without required_contexts GitHub demands every status context on the ref to be green.
      const contexts = repo.statuses.get(sha) ?? [];
      const checked = requiredContexts ?? [...new Set(contexts.map((s) => s.context))];
      const failing = checked.filter((context) => {
        const latest = contexts.filter((s) => s.context === context).at(-1);
        return latest?.state !== 'success';
      });
      if (failing.length > 0) {
        return error(409, `Conflict: Commit status checks failed for ${ref}.`, {
          errors: failing.map((context) => ({
            contexts: [{ context, state: 'failure' }],
            resource: 'Deployment',
          })),
        });
      }
      const payload = field(request.body, 'payload');
      const environment = stringField(request.body, 'environment') ?? 'production';
      const transient = field(request.body, 'transient_environment') === true;
      const deployment: SimDeployment = {
        id: state.nextId(),
        sha,
        ref,
        task: stringField(request.body, 'task') ?? 'deploy',
        environment,
        description: stringField(request.body, 'description') ?? null,
        payload: payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {},
        transientEnvironment: transient,
        productionEnvironment: field(request.body, 'production_environment') === true,
        requiredContexts,
        autoMerge: field(request.body, 'auto_merge') !== false,
        createdAt: state.nowIso(),
        statuses: [],
      };
      repo.deployments.set(deployment.id, deployment);
      return { status: 201, body: deploymentJson(api, repo, deployment, state.bot) };
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    auth: 'installation',
    handle: (request, { api, repo, state }) => {
      const deployment = repo.deployments.get(Number(request.params.deployment_id));
      if (!deployment) return notFound();
      const status = stringField(request.body, 'state');
      if (!status || !STATES.includes(status)) {
        return error(422, 'Validation Failed', {
          errors: [{ resource: 'DeploymentStatus', field: 'state' }],
        });
      }
      const created = {
        id: state.nextId(),
        state: status,
        description: stringField(request.body, 'description') ?? '',
        environmentUrl: stringField(request.body, 'environment_url') ?? '',
        logUrl: stringField(request.body, 'log_url') ?? stringField(request.body, 'target_url') ?? '',
        createdAt: state.nowIso(),
      };
      deployment.statuses.push(created);
      if (status === 'success' && field(request.body, 'auto_inactive') !== false) {
        for (const other of repo.deployments.values()) {
          if (
            other.id < deployment.id &&
            other.environment === deployment.environment &&
            !other.transientEnvironment
          ) {
            other.statuses.push({ ...created, id: state.nextId(), state: 'inactive', description: '' });
          }
        }
      }
      return { status: 201, body: deploymentStatusJson(api, repo, deployment, created, state.bot) };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    auth: 'installation',
    handle: (request, { api, repo, state }) => {
      const deployment = repo.deployments.get(Number(request.params.deployment_id));
      if (!deployment) return notFound();
      const newestFirst = [...deployment.statuses].reverse();
      const { page, link } = paginate(newestFirst, request, api);
      return withLink(
        page.map((status) => deploymentStatusJson(api, repo, deployment, status, state.bot)),
        link,
      );
    },
  },
];
