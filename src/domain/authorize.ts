import type { TeamRole } from './vocabulary.ts';

/** What a person can ask of an environment. */
export type EnvironmentAction = 'view' | 'logs' | 'retry' | 'redeploy' | 'delete' | 'deploy';

export interface Access {
  /** A Glimpse administrator may do everything. */
  isAdmin: boolean;
  /** The person's role in the team that owns the environment's repo; undefined when not a member. */
  role: TeamRole | undefined;
}

/**
 * `allow`; `hide` (answer as if it did not exist, so its existence does not leak); or `deny` (the person
 * sees the environment but may not do this).
 */
export type Decision = 'allow' | 'hide' | 'deny';

const NEEDS_TEAM_ADMIN: ReadonlySet<EnvironmentAction> = new Set(['delete']);

export function authorize(access: Access, action: EnvironmentAction): Decision {
  if (access.isAdmin) return 'allow';
  if (access.role === undefined) return 'hide';
  if (NEEDS_TEAM_ADMIN.has(action) && access.role === 'member') return 'deny';
  return 'allow';
}
