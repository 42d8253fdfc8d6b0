import { EVENT_REASONS, EVENT_TYPES } from '../domain/environment-event.ts';
import {
  CONFIG_CHECK_OUTCOMES,
  DEPLOYMENT_STATUSES,
  DEPLOYMENT_TRIGGERS,
  PHASES,
  TEAM_ROLES,
} from '../domain/vocabulary.ts';
import { requireDrizzle, sql } from './drizzle-orm.ts';

const {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} = requireDrizzle('drizzle-orm/pg-core') as typeof import('drizzle-orm/pg-core');

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  githubLogin: text('github_login').notNull().unique(),
  githubId: bigint('github_id', { mode: 'number' }).unique(),
  name: text('name'),
  isAdmin: boolean('is_admin').notNull().default(false),
  createdAt: createdAt(),
});

export const teams = pgTable('teams', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  githubAccountId: bigint('github_account_id', { mode: 'number' }).unique(),
  createdAt: createdAt(),
});

export const teamMemberships = pgTable(
  'team_memberships',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: TEAM_ROLES }).notNull().default('member'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_memberships_user_idx').on(t.userId)],
);

export const API_TOKEN_KINDS = ['api', 'bootstrap'] as const;

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: API_TOKEN_KINDS }).notNull().default('api'),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    /** The first characters, so a person can tell their tokens apart. */
    displayPrefix: text('display_prefix').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

export const repos = pgTable(
  'repos',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    githubId: bigint('github_id', { mode: 'number' }).notNull().unique(),
    fullName: text('full_name').notNull(),
    installationId: bigint('installation_id', { mode: 'number' }).notNull(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id),
    cloneUrl: text('clone_url'),
    defaultBranch: text('default_branch'),
    enabled: boolean('enabled').notNull().default(true),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** The last time the controller read the repo's `.glimpse.yml` for a deploy: when, at which ref, for which PR. */
    configCheckedAt: timestamp('config_checked_at', { withTimezone: true }),
    configCheckedRef: text('config_checked_ref'),
    configCheckedPr: integer('config_checked_pr'),
    configCheckOutcome: text('config_check_outcome', { enum: CONFIG_CHECK_OUTCOMES }),
    /** What is wrong with the file, when the outcome is `invalid`. */
    configCheckError: text('config_check_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('repos_full_name_idx').on(sql`lower(${t.fullName})`),
    index('repos_team_idx').on(t.teamId),
    index('repos_installation_idx').on(t.installationId),
  ],
);

export const environments = pgTable(
  'environments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    repoId: uuid('repo_id')
      .notNull()
      .references(() => repos.id),
    prNumber: integer('pr_number').notNull(),
    namespace: text('namespace').notNull().unique(),
    prTitle: text('pr_title'),
    prUrl: text('pr_url'),
    author: text('author'),
    branch: text('branch'),
    baseBranch: text('base_branch'),
    headSha: text('head_sha').notNull(),
    headRepoFullName: text('head_repo_full_name'),
    isFork: boolean('is_fork').notNull().default(false),
    isDraft: boolean('is_draft').notNull().default(false),
    labels: jsonb('labels').$type<string[]>().notNull().default([]),
    /** Who added each label, as far as webhooks told us: the opt-in label counts only from someone with write access. */
    labelSenders: jsonb('label_senders').$type<Record<string, string>>().notNull().default({}),
    /** The head commit when each label was added: a fork's opt-in label approves that commit only. */
    labelShas: jsonb('label_shas').$type<Record<string, string>>().notNull().default({}),
    /** The last `/glimpse approve` on the PR: who asked, for which head commit (checked for write access). */
    commentApproval: jsonb('comment_approval').$type<{ login: string; sha: string }>(),
    /** A `/glimpse redeploy` or `/glimpse destroy` not yet carried out: the controller checks who asked first. */
    commentCommand: jsonb('comment_command').$type<{ command: 'redeploy' | 'destroy'; login: string }>(),
    prUpdatedAt: timestamp('pr_updated_at', { withTimezone: true }),
    // desired state
    desiredState: text('desired_state', { enum: ['active', 'closed'] })
      .notNull()
      .default('active'),
    generation: integer('generation').notNull().default(1),
    /** Why the current generation was requested, and by whom; copied to the deployment the controller makes. */
    requestedTrigger: text('requested_trigger', { enum: DEPLOYMENT_TRIGGERS }).notNull().default('webhook'),
    requestedBy: text('requested_by'),
    /**
     * A team member asked for this preview (API, MCP, CLI, dashboard): it deploys without the opt-in label.
     * For a fork, only `approvedSha`, the head commit when they asked, is approved.
     */
    approvedBy: text('approved_by'),
    approvedSha: text('approved_sha'),
    // observed state
    observedGeneration: integer('observed_generation').notNull().default(0),
    phase: text('phase', { enum: PHASES }).notNull().default('pending'),
    deployedSha: text('deployed_sha'),
    url: text('url'),
    error: text('error'),
    /** What the environment waits for, in words (the opt-in label, checks, a retry). */
    statusDetail: text('status_detail'),
    // GitHub feedback
    commentId: bigint('comment_id', { mode: 'number' }),
    commentHash: text('comment_hash'),
    /**
     * When Glimpse first set out to create the PR comment: from then on a comment may be on the PR even
     * without a stored id (a crash between creating it and storing its id), so it is looked for by its marker.
     */
    commentRequestedAt: timestamp('comment_requested_at', { withTimezone: true }),
    githubDeploymentId: bigint('github_deployment_id', { mode: 'number' }),
    /**
     * GitHub deployments that may show as active: each is added before its `success` is sent, and the list is
     * cut to it once GitHub answered (a success makes the earlier ones inactive). A process killed in between
     * leaves both, so the deletion makes inactive every deployment GitHub may still show.
     */
    githubMaybeActive: jsonb('github_maybe_active').$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    // work scheduling
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** New with every claim: a write under the lease must match it, so a stale attempt cannot overwrite newer work. */
    leaseToken: uuid('lease_token'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastDeployedAt: timestamp('last_deployed_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('environments_repo_pr_idx').on(t.repoId, t.prNumber),
    index('environments_phase_idx').on(t.phase),
    index('environments_updated_idx').on(t.updatedAt),
    index('environments_lease_until_idx').on(t.leaseUntil),
    index('environments_next_attempt_idx').on(t.nextAttemptAt),
    index('environments_expires_idx').on(t.expiresAt),
    index('environments_pending_work_idx').on(t.id).where(sql`${t.generation} > ${t.observedGeneration}`),
  ],
);

export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    commitSha: text('commit_sha').notNull(),
    attempt: integer('attempt').notNull().default(1),
    generation: integer('generation').notNull(),
    status: text('status', { enum: DEPLOYMENT_STATUSES }).notNull().default('queued'),
    trigger: text('trigger', { enum: DEPLOYMENT_TRIGGERS }).notNull(),
    actor: text('actor'),
    githubDeploymentId: bigint('github_deployment_id', { mode: 'number' }),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('deployments_env_sha_attempt_idx').on(t.environmentId, t.commitSha, t.attempt),
    index('deployments_env_created_idx').on(t.environmentId, t.createdAt),
    index('deployments_status_idx').on(t.status),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    deliveryId: text('delivery_id').primaryKey(),
    event: text('event').notNull(),
    action: text('action'),
    outcome: text('outcome').notNull(),
    detail: text('detail'),
    /** The pull request the delivery is about (owner/name as GitHub sent it), also when it made no environment. */
    repoFullName: text('repo_full_name'),
    prNumber: integer('pr_number'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    index('webhook_deliveries_received_idx').on(t.receivedAt),
    index('webhook_deliveries_pull_idx').on(sql`lower(${t.repoFullName})`, t.prNumber, t.receivedAt),
  ],
);

/**
 * The timeline of an environment: why each state change happened, written in the same transaction as the
 * change. Pruned by the resync pass to the last EVENTS_KEPT_PER_ENVIRONMENT per environment and EVENTS_KEPT_DAYS.
 */
export const environmentEvents = pgTable(
  'environment_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    time: timestamp('time', { withTimezone: true }).notNull().defaultNow(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    reason: text('reason', { enum: EVENT_REASONS }).notNull(),
    message: text('message').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('environment_events_environment_idx').on(t.environmentId, t.id),
    index('environment_events_time_idx').on(t.time),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Who acted, kept readable after the user is gone: a GitHub login, "github" or "controller". */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    environmentId: uuid('environment_id').references(() => environments.id, { onDelete: 'set null' }),
    target: text('target'),
    outcome: text('outcome').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_environment_idx').on(t.environmentId, t.createdAt),
    index('audit_events_created_idx').on(t.createdAt),
  ],
);

/**
 * The GitHub App connected through the manifest flow (`glimpse github connect`): one row, id 1. Its private
 * key, webhook secret and OAuth client secret are sealed together with the secret key (GLIMPSE_SECRET_KEY).
 */
export const githubApps = pgTable('github_apps', {
  id: integer('id').primaryKey(),
  appId: bigint('app_id', { mode: 'number' }).notNull(),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  owner: text('owner'),
  htmlUrl: text('html_url').notNull(),
  /** The GITHUB_API_URL it was created on. */
  apiUrl: text('api_url').notNull(),
  clientId: text('client_id').notNull(),
  sealedSecrets: text('sealed_secrets').notNull(),
  connectedAt: timestamp('connected_at', { withTimezone: true }).notNull().defaultNow(),
});
