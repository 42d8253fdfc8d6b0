import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { InvalidInput } from '../domain/errors.ts';
import { PR_NUMBER_MAX } from '../domain/pr-number-max.ts';
import { PHASES } from '../domain/vocabulary.ts';
import {
  AcceptedView,
  EnvironmentDetail,
  EnvironmentPage,
  MeView,
} from '../services/environments/environment-schemas.ts';
import { EventPage, ExplainInput, PullRequestExplanation } from '../services/environments/event-schemas.ts';
import type { PreviewOperations } from '../services/preview-operations.ts';

/** One MCP tool: a thin adapter from validated input to one operation. */
export interface PreviewTool {
  name: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: ToolAnnotations;
  run(operations: PreviewOperations, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const EnvironmentRef = {
  id: z.string().optional().describe('the environment id (a UUID); give this or namespace'),
  namespace: z.string().optional().describe('the environment namespace, e.g. pr-web-12; give this or id'),
};

function refOf(input: Record<string, unknown>): string {
  const id = typeof input.id === 'string' ? input.id : undefined;
  const namespace = typeof input.namespace === 'string' ? input.namespace : undefined;
  if ((id === undefined) === (namespace === undefined))
    throw new InvalidInput('Give exactly one of id or namespace (list_preview_environments shows both).');
  return id ?? namespace ?? '';
}

const tool = <I extends z.ZodObject, O extends z.ZodObject>(spec: {
  name: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(operations: PreviewOperations, input: z.output<I>): Promise<z.output<O>>;
}): PreviewTool => spec as unknown as PreviewTool;

const readOnly: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** Retry and redeploy: each call starts a deployment in the background. */
const startsDeploy: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

export const previewTools: PreviewTool[] = [
  tool({
    name: 'list_preview_environments',
    description:
      'List the pull request preview environments you can see, newest activity first. Use it to find an environment (its id, namespace, URL and phase) before reading or changing it; filter by phase or repository.',
    input: z.object({
      status: z
        .enum(PHASES)
        .optional()
        .describe('only environments in this phase (default: all but deleted)'),
      repoFullName: z.string().optional().describe('only this repository, owner/name'),
      query: z.string().optional().describe('text in the PR title, branch, namespace or repository'),
      limit: z.number().int().min(1).max(100).optional().describe('page size, default 20'),
      cursor: z.string().optional().describe('nextCursor of the previous page'),
    }),
    output: EnvironmentPage,
    annotations: { ...readOnly, title: 'List preview environments' },
    run: (ops, input) =>
      ops.listEnvironments({
        ...(input.status === undefined ? {} : { status: input.status }),
        ...(input.repoFullName === undefined ? {} : { repo: input.repoFullName }),
        ...(input.query === undefined ? {} : { q: input.query }),
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
      }),
  }),
  tool({
    name: 'get_preview_environment',
    description:
      'Get one preview environment with its deployment history, error, URL, resource use and warnings. Use it to see why a preview failed or whether it is ready.',
    input: z.object(EnvironmentRef),
    output: EnvironmentDetail,
    annotations: { ...readOnly, title: 'Get a preview environment' },
    run: (ops, input) => ops.getEnvironment(refOf(input)),
  }),
  tool({
    name: 'get_preview_logs',
    description:
      'Read the latest log lines of a preview environment (build and application output). Use it to find out why a deployment failed or what the app is doing.',
    input: z.object({
      ...EnvironmentRef,
      tailLines: z.number().int().min(1).max(10_000).default(500).describe('how many lines from the end'),
      timestamps: z.boolean().default(true).describe('prefix each line with its time'),
    }),
    output: z.object({ logs: z.string(), lineCount: z.number().int() }),
    annotations: { ...readOnly, title: 'Read preview logs' },
    run: async (ops, input) => {
      const logs = await ops.readLogs(refOf(input), {
        tailLines: input.tailLines,
        timestamps: input.timestamps,
      });
      return { logs, lineCount: logs === '' ? 0 : logs.split('\n').length - (logs.endsWith('\n') ? 1 : 0) };
    },
  }),
  tool({
    name: 'get_preview_events',
    description:
      "Read the timeline of a preview environment, oldest first: every webhook, gate decision, deploy step, failure, retry and person's action, each with a reason from a fixed vocabulary and a plain sentence. Use it to see where a preview is stuck and why.",
    input: z.object({
      ...EnvironmentRef,
      limit: z.number().int().min(1).max(200).optional().describe('page size, default 100'),
      cursor: z.string().optional().describe('nextCursor of the previous page'),
    }),
    output: EventPage,
    annotations: { ...readOnly, title: "Read a preview's timeline" },
    run: (ops, input) =>
      ops.listEvents(refOf(input), {
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
      }),
  }),
  tool({
    name: 'explain_pull_request',
    description:
      'Explain why a pull request has no preview, an old one, or a failed one: its latest webhook deliveries and why they were ignored, the deploy gate\'s decision, its environment\'s phase and latest events, as plain sentences plus structured fields. Use it first when someone asks "where is my preview?".',
    input: ExplainInput,
    output: PullRequestExplanation,
    annotations: { ...readOnly, title: "Explain a PR's preview" },
    run: (ops, input) => ops.explain(input),
  }),
  tool({
    name: 'retry_preview_deployment',
    description:
      'Retry the failed deployment of a preview environment. Only works when its phase is "failed"; use redeploy_preview_environment otherwise. The deployment runs in the background.',
    input: z.object(EnvironmentRef),
    output: AcceptedView,
    annotations: { ...startsDeploy, title: 'Retry a failed preview' },
    run: (ops, input) => ops.retry(refOf(input)),
  }),
  tool({
    name: 'redeploy_preview_environment',
    description:
      'Deploy the current head commit of a preview environment again, e.g. after a transient failure or to restart it. Runs in the background.',
    input: z.object(EnvironmentRef),
    output: AcceptedView,
    annotations: { ...startsDeploy, title: 'Redeploy a preview' },
    run: (ops, input) => ops.redeploy(refOf(input)),
  }),
  tool({
    name: 'delete_preview_environment',
    description:
      'Delete a preview environment and everything it runs (needs the team admin or owner role). Use it when a preview is no longer needed; it disappears in the background. It comes back only if the PR is deployed again.',
    input: z.object(EnvironmentRef),
    output: AcceptedView,
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
      title: 'Delete a preview',
    },
    run: (ops, input) => ops.delete(refOf(input)),
  }),
  tool({
    name: 'deploy_preview_environment',
    description:
      'Deploy a preview for a pull request of a connected repository, without waiting for the opt-in label. Use it when someone asks for a preview of a PR; it deploys in the background. For a PR from a fork this approves its current head commit only: review that code first, and a later push waits for a new approval.',
    input: z.object({
      repoFullName: z.string().describe('the repository, owner/name'),
      prNumber: z.number().int().min(1).max(PR_NUMBER_MAX).describe('the pull request number'),
    }),
    output: AcceptedView,
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
      title: 'Deploy a PR preview',
    },
    run: (ops, input) => ops.deploy({ repoFullName: input.repoFullName, prNumber: input.prNumber }),
  }),
  tool({
    name: 'get_current_user',
    description:
      'Who you are acting as in Glimpse, and your teams and roles. Use it to understand why something is not visible or not allowed.',
    input: z.object({}),
    output: MeView,
    annotations: { ...readOnly, title: 'Current Glimpse user' },
    run: (ops) => ops.me(),
  }),
];
