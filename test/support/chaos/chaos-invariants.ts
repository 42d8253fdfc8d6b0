import type { Database } from '../../../src/db/database.ts';
import { sql } from '../../../src/db/drizzle-orm.ts';
import { queryRows } from '../../../src/db/query-rows.ts';
import { PR_COMMENT_MARKER } from '../../../src/domain/pr-comment.ts';
import { previewEnvironmentName } from '../../../src/github/deployment-feedback.ts';
import type { GithubSimulator } from '../github-sim/start-github-simulator.ts';
import type { KubeSimulator } from '../kube-sim/start-kube-simulator.ts';
import type { ChaosPullRequest } from './pull-request-driver.ts';

interface EnvironmentRow {
  pr_number: number;
  namespace: string;
  phase: string;
  deployed_sha: string | null;
  generation: number;
  observed_generation: number;
  status_detail: string | null;
}

export async function environmentRows(db: Database): Promise<Map<number, EnvironmentRow>> {
  const rows = await queryRows<EnvironmentRow>(
    db,
    sql`select pr_number, namespace, phase, deployed_sha, generation, observed_generation, status_detail
        from environments`,
  );
  return new Map(rows.map((r) => [r.pr_number, r]));
}

/** True once every PR's environment is where it should end: running at its head, or deleted. */
export function converged(prs: Iterable<ChaosPullRequest>, rows: Map<number, EnvironmentRow>): boolean {
  for (const pr of prs) {
    const row = rows.get(pr.number);
    if (row === undefined || row.generation !== row.observed_generation) return false;
    if (pr.open ? row.phase !== 'running' || row.deployed_sha !== pr.sha : row.phase !== 'deleted')
      return false;
  }
  return true;
}

/**
 * Environments that nobody works on (no lease) and whose desired state is handled, yet whose phase says
 * work is under way or queued: such an environment is never looked at again (issue 20, item 1).
 */
export async function stuckEnvironments(db: Database): Promise<string[]> {
  const rows = await queryRows<{ namespace: string; phase: string; status_detail: string | null }>(
    db,
    sql`select namespace, phase, status_detail from environments
        where generation = observed_generation and lease_owner is null
          and (phase in ('building', 'deploying', 'deleting') or status_detail like 'Queued:%')`,
  );
  return rows.map(
    (r) => `${r.namespace} is ${r.phase} (${r.status_detail ?? 'no detail'}) with nothing to do`,
  );
}

/** What must hold once the chaos is over and the replicas have converged; each breach in words. */
export async function checkInvariants(input: {
  db: Database;
  github: GithubSimulator;
  kube: KubeSimulator;
  fullName: string;
  prs: Iterable<ChaosPullRequest>;
}): Promise<string[]> {
  const { github, kube, fullName } = input;
  const rows = await environmentRows(input.db);
  const violations: string[] = [];
  const deployments = github.deployments(fullName);
  for (const pr of input.prs) {
    const row = rows.get(pr.number);
    const name = `PR ${pr.number}`;
    if (row === undefined) {
      violations.push(`${name} has no environment`);
      continue;
    }
    if (row.generation !== row.observed_generation) {
      violations.push(`${name} generation ${row.generation} but observed ${row.observed_generation}`);
    }
    const comments = github.comments(fullName, pr.number).filter((c) => c.body.includes(PR_COMMENT_MARKER));
    const active = deployments.filter(
      (d) => d.environment === previewEnvironmentName(pr.number) && d.statuses.at(-1)?.state === 'success',
    );
    if (pr.open) {
      if (row.phase !== 'running' || row.deployed_sha !== pr.sha) {
        violations.push(`${name} is open at ${short(pr.sha)} but ${row.phase} at ${short(row.deployed_sha)}`);
      }
      if (
        comments.length !== 1 ||
        !comments[0]?.body.includes('Running') ||
        !comments[0].body.includes(short(pr.sha))
      ) {
        violations.push(
          `${name} has ${comments.length} Glimpse comments (${headlines(comments)}), expected one saying running at ${short(pr.sha)}`,
        );
      }
      if (active.length !== 1 || active[0]?.sha !== pr.sha) {
        violations.push(
          `${name} has ${active.length} active GitHub deployments (${active.map((d) => short(d.sha)).join(', ')}), expected one at ${short(pr.sha)}`,
        );
      }
    } else {
      if (row.phase !== 'deleted') violations.push(`${name} is closed but ${row.phase}`);
      if (kube.get('', 'namespaces', undefined, row.namespace) !== undefined) {
        violations.push(`${name} is closed but namespace ${row.namespace} is still there`);
      }
      if (comments.length !== 1 || !comments[0]?.body.includes('Deleted')) {
        violations.push(
          `${name} has ${comments.length} Glimpse comments (${headlines(comments)}), expected one saying deleted`,
        );
      }
      if (active.length !== 0)
        violations.push(`${name} is closed but has ${active.length} active GitHub deployments`);
    }
    const deletes = kube.requests.count({
      verb: 'delete',
      resource: 'namespaces',
      path: new RegExp(`^/api/v1/namespaces/${row.namespace}$`),
    });
    if (deletes > 1) violations.push(`${name}: namespace ${row.namespace} was deleted ${deletes} times`);
  }
  return violations;
}

/** The headline and commit line of each comment, for a violation report. */
function headlines(comments: { body: string }[]): string {
  return comments
    .map((c) =>
      c.body
        .split('\n')
        .filter((line) => line.startsWith('###') || line.includes('Commit'))
        .join(' '),
    )
    .join(' / ');
}

function short(sha: string | null | undefined): string {
  return (sha ?? 'nothing').slice(0, 7);
}
