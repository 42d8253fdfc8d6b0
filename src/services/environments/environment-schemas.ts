import { z } from 'zod';
import { DEPLOYMENT_STATUSES, DEPLOYMENT_TRIGGERS, PHASES } from '../../domain/vocabulary.ts';

/**
 * The JSON shapes every edge returns (REST, MCP, the CLI's REST client): one definition, so the OpenAPI
 * document, the MCP output schemas and what clients parse never drift apart.
 */
export const Resources = z.object({
  limits: z.object({
    cpu: z.string().describe('CPU limit, Kubernetes quantity such as "500m"'),
    memory: z.string().describe('memory limit, Kubernetes quantity such as "512Mi"'),
  }),
  usage: z
    .object({ cpuMillicores: z.number().nullable(), memoryBytes: z.number().nullable() })
    .nullable()
    .describe('current use, when the runtime can measure it (only on single-environment reads)'),
  usageUnavailableReason: z.string().nullable(),
});
export type Resources = z.infer<typeof Resources>;

export const EnvironmentView = z.object({
  id: z.string(),
  namespace: z.string(),
  repo: z.string().describe('owner/name of the GitHub repository'),
  prNumber: z.number().int(),
  prTitle: z.string().nullable(),
  prUrl: z.string().nullable(),
  author: z.string().nullable().describe('GitHub login of who opened the pull request'),
  branch: z.string().nullable(),
  headSha: z.string(),
  deployedSha: z.string().nullable(),
  phase: z.enum(PHASES),
  url: z.string().nullable(),
  error: z.string().nullable(),
  statusDetail: z
    .string()
    .nullable()
    .describe('what the environment waits for, in words (the opt-in label, checks, a retry)'),
  settled: z
    .boolean()
    .describe('the controller is done with the latest change; false while it still has work to do for it'),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastDeployedAt: z.string().nullable(),
  ageSeconds: z.number().int(),
  resources: Resources,
  warnings: z.array(z.string()),
});
export type EnvironmentView = z.infer<typeof EnvironmentView>;

export const DeploymentView = z.object({
  id: z.string(),
  commitSha: z.string(),
  attempt: z.number().int(),
  status: z.enum(DEPLOYMENT_STATUSES),
  trigger: z.enum(DEPLOYMENT_TRIGGERS),
  actor: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type DeploymentView = z.infer<typeof DeploymentView>;

export const Permission = z.object({
  allowed: z.boolean(),
  reason: z.string().nullable().describe('why not, when not allowed'),
});

export const EnvironmentDetail = EnvironmentView.extend({
  deployments: z.array(DeploymentView),
  permissions: z
    .object({
      redeploy: Permission,
      retry: Permission,
      delete: Permission,
      deploy: Permission.describe(
        'approve and deploy the head commit, when it is not the deployed one (for a fork: approves that commit only)',
      ),
    })
    .describe('what you may do to it now'),
});
export type EnvironmentDetail = z.infer<typeof EnvironmentDetail>;

export const EnvironmentPage = z.object({
  items: z.array(EnvironmentView),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});
export type EnvironmentPage = z.infer<typeof EnvironmentPage>;

/** What a mutation answers: the work is queued, the controller does it in the background. */
export const AcceptedView = z.object({
  accepted: z.literal(true),
  action: z.enum(['retry', 'redeploy', 'delete', 'deploy']),
  environment: EnvironmentView,
});
export type AcceptedView = z.infer<typeof AcceptedView>;

export const MeView = z.object({
  login: z.string(),
  isAdmin: z.boolean(),
  teams: z.array(
    z.object({ slug: z.string(), name: z.string(), role: z.enum(['owner', 'admin', 'member']) }),
  ),
});
export type MeView = z.infer<typeof MeView>;

/** Query text: what a database can compare with (no NUL or other control characters). */
export const QueryText = (min: number, max = 200) =>
  z
    .string()
    .min(min)
    .max(max)
    // A pattern (not a refinement): the OpenAPI document carries it, so clients and fuzzers know the rule.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters');

export const LIST_SORTS = ['updated', 'created', 'stale'] as const;

export const ListQuery = z.object({
  status: z.enum(PHASES).optional().describe('only environments in this phase (default: all but deleted)'),
  repo: QueryText(3).optional().describe('owner/name of a repository'),
  q: QueryText(1).optional().describe('text in the PR title, branch, namespace or repo'),
  sort: z
    .enum(LIST_SORTS)
    .default('updated')
    .describe('updated: newest activity first; created: newest first; stale: least recent activity first'),
  usage: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: measure CPU and memory of the running environments on the page (slower)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: QueryText(1).optional(),
});
export type ListQuery = z.input<typeof ListQuery>;

export const LogsQuery = z.object({
  tailLines: z.coerce.number().int().min(1).max(10_000).default(500),
  timestamps: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  follow: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export interface LogOptionsInput {
  tailLines: number;
  timestamps: boolean;
}
