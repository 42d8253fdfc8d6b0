import type { Database } from '../db/database.ts';
import { desc, eq, inArray, sql } from '../db/drizzle-orm.ts';
import { auditEvents, environments, repos, teamMemberships, teams, webhookDeliveries } from '../db/schema.ts';
import { Forbidden } from '../domain/errors.ts';
import type { ConfigCheckOutcome } from '../domain/vocabulary.ts';
import type { Principal } from './auth/principal.ts';
import type { AuditList, DeliveryList, RepoList } from './dashboard-schemas.ts';

const LATEST = 200;

function requireAdmin(principal: Principal, what: string): void {
  if (!principal.isAdmin)
    throw new Forbidden(
      `Only Glimpse administrators may see ${what}: ask one ("glimpse users grant-admin").`,
    );
}

/** The connected repositories of the principal's teams (all of them for administrators). */
export async function listRepos(db: Database, principal: Principal): Promise<RepoList> {
  const mine = db
    .select({ id: teamMemberships.teamId })
    .from(teamMemberships)
    .where(eq(teamMemberships.userId, principal.userId));
  const rows = await db
    .select({
      fullName: repos.fullName,
      team: teams.slug,
      installationId: repos.installationId,
      enabled: repos.enabled,
      updatedAt: repos.updatedAt,
      configCheckedAt: repos.configCheckedAt,
      configCheckedRef: repos.configCheckedRef,
      configCheckedPr: repos.configCheckedPr,
      configCheckOutcome: repos.configCheckOutcome,
      configCheckError: repos.configCheckError,
      previews: sql<number>`cast((select count(*) from ${environments} where ${environments.repoId} = ${repos.id} and ${environments.phase} <> 'deleted') as int)`,
    })
    .from(repos)
    .innerJoin(teams, eq(teams.id, repos.teamId))
    .where(principal.isAdmin ? undefined : inArray(repos.teamId, mine))
    .orderBy(sql`lower(${repos.fullName})`);
  return {
    items: rows.map((row) => ({
      fullName: row.fullName,
      team: row.team,
      installationId: row.installationId,
      enabled: row.enabled,
      previews: row.previews,
      forkPolicy: 'forks deploy once someone with write access adds the opt-in label',
      updatedAt: row.updatedAt.toISOString(),
      lastConfigCheck: lastConfigCheckOf(row),
    })),
  };
}

/** The repo's last `.glimpse.yml` check from its columns; null before the first (all are written together). */
function lastConfigCheckOf(row: {
  configCheckedAt: Date | null;
  configCheckedRef: string | null;
  configCheckedPr: number | null;
  configCheckOutcome: ConfigCheckOutcome | null;
  configCheckError: string | null;
}): RepoList['items'][number]['lastConfigCheck'] {
  const { configCheckedAt, configCheckedRef, configCheckedPr, configCheckOutcome } = row;
  if (
    configCheckedAt === null ||
    configCheckedRef === null ||
    configCheckedPr === null ||
    configCheckOutcome === null
  )
    return null;
  return {
    checkedAt: configCheckedAt.toISOString(),
    ref: configCheckedRef,
    pr: configCheckedPr,
    outcome: configCheckOutcome,
    error: row.configCheckError,
  };
}

/**
 * The latest webhook deliveries with their outcome and reason, of one repository (owner/name) or all
 * (administrators: deliveries carry no team, and may be about repositories no team has connected).
 */
export async function listDeliveries(
  db: Database,
  principal: Principal,
  filter: { repo?: string | undefined } = {},
): Promise<DeliveryList> {
  requireAdmin(principal, 'webhook deliveries');
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      filter.repo === undefined
        ? undefined
        : sql`lower(${webhookDeliveries.repoFullName}) = ${filter.repo.toLowerCase()}`,
    )
    .orderBy(desc(webhookDeliveries.receivedAt))
    .limit(LATEST);
  return {
    items: rows.map((row) => ({
      deliveryId: row.deliveryId,
      event: row.event,
      action: row.action,
      repo: row.repoFullName,
      prNumber: row.prNumber,
      outcome: row.outcome,
      detail: row.detail,
      receivedAt: row.receivedAt.toISOString(),
    })),
  };
}

/** Who did what, newest first (administrators). */
export async function listAuditEvents(db: Database, principal: Principal): Promise<AuditList> {
  requireAdmin(principal, 'the audit log');
  const rows = await db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(LATEST);
  return {
    items: rows.map((row) => ({
      id: row.id,
      actor: row.actor,
      action: row.action,
      target: row.target,
      outcome: row.outcome,
      message: typeof row.detail?.message === 'string' ? row.detail.message : null,
      createdAt: row.createdAt.toISOString(),
    })),
  };
}
