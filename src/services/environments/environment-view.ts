import { DEFAULT_LIMITS } from '../../domain/resource-defaults.ts';
import type { Observed } from '../../runtimes/runtime.ts';
import type { DeploymentView, EnvironmentView, Resources } from './environment-schemas.ts';
import type { EnvironmentRow } from './locate-environment.ts';

/** The per-preview quota every runtime applies unless the repo says otherwise (see DESIGN: LimitRange). */
const LIMIT_MILLICORES = 500;
const LIMIT_BYTES = 512 * 1024 * 1024;
const NEAR_QUOTA = 0.8;

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function environmentView(
  env: EnvironmentRow,
  repoFullName: string,
  now: Date,
  observed?: Observed | { error: string },
): EnvironmentView {
  const resources: Resources = { limits: { ...DEFAULT_LIMITS }, usage: null, usageUnavailableReason: null };
  const warnings: string[] = [];
  if (observed !== undefined && 'error' in observed) {
    resources.usageUnavailableReason = observed.error;
  } else if (observed !== undefined) {
    const cpu = sumOf(observed.workloads.map((w) => w.cpuMillicores));
    const memory = sumOf(observed.workloads.map((w) => w.memoryBytes));
    resources.usage = { cpuMillicores: cpu, memoryBytes: memory };
    resources.usageUnavailableReason = observed.usageUnavailableReason ?? null;
    if (cpu !== null && cpu >= LIMIT_MILLICORES * NEAR_QUOTA)
      warnings.push(`CPU use ${cpu}m is near the ${DEFAULT_LIMITS.cpu} limit`);
    if (memory !== null && memory >= LIMIT_BYTES * NEAR_QUOTA)
      warnings.push(
        `memory use ${Math.round(memory / 1024 / 1024)}Mi is near the ${DEFAULT_LIMITS.memory} limit`,
      );
    for (const workload of observed.workloads)
      if (workload.restarts > 0)
        warnings.push(
          `${workload.name} restarted ${workload.restarts} time(s)${workload.ready ? '' : ' and is not ready'}`,
        );
  }
  if (env.desiredState === 'closed' && env.phase !== 'deleted') warnings.push('deletion in progress');
  return {
    id: env.id,
    namespace: env.namespace,
    repo: repoFullName,
    prNumber: env.prNumber,
    prTitle: env.prTitle,
    prUrl: env.prUrl,
    author: env.author,
    branch: env.branch,
    headSha: env.headSha,
    deployedSha: env.deployedSha,
    phase: env.phase,
    url: env.url,
    error: env.error,
    statusDetail: env.statusDetail,
    settled: env.generation === env.observedGeneration && env.leaseOwner === null,
    createdAt: env.createdAt.toISOString(),
    updatedAt: env.updatedAt.toISOString(),
    lastDeployedAt: iso(env.lastDeployedAt),
    ageSeconds: Math.max(0, Math.floor((now.getTime() - env.createdAt.getTime()) / 1000)),
    resources,
    warnings,
  };
}

export function deploymentView(row: {
  id: string;
  commitSha: string;
  attempt: number;
  status: DeploymentView['status'];
  trigger: DeploymentView['trigger'];
  actor: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}): DeploymentView {
  // Only the view's fields: a row carries more (environment id, generation, GitHub ids), and every edge's
  // schema (OpenAPI, MCP outputSchema) forbids properties it does not name.
  return {
    id: row.id,
    commitSha: row.commitSha,
    attempt: row.attempt,
    status: row.status,
    trigger: row.trigger,
    actor: row.actor,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

function sumOf(values: (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}
