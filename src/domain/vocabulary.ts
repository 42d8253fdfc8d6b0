/** The product's words, shared by every layer: the database stores them, the edges show and parse them. */

export const TEAM_ROLES = ['owner', 'admin', 'member'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** An environment's observed phase; `domain/phase-machine.ts` says which changes between them are allowed. */
export const PHASES = [
  'pending',
  'building',
  'deploying',
  'running',
  'failed',
  'deleting',
  'deleted',
  'sleeping',
] as const;
export type Phase = (typeof PHASES)[number];

export const DEPLOYMENT_STATUSES = ['queued', 'in_progress', 'succeeded', 'failed', 'canceled'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const DEPLOYMENT_TRIGGERS = ['webhook', 'retry', 'manual', 'resync'] as const;
export type DeploymentTrigger = (typeof DEPLOYMENT_TRIGGERS)[number];

/** What the last read of a repo's `.glimpse.yml` found: a valid file, an invalid one, or none (defaults). */
export const CONFIG_CHECK_OUTCOMES = ['valid', 'invalid', 'missing'] as const;
export type ConfigCheckOutcome = (typeof CONFIG_CHECK_OUTCOMES)[number];
