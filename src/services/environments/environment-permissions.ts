import { authorize, type EnvironmentAction } from '../../domain/authorize.ts';
import type { Principal } from '../auth/principal.ts';
import type { EnvironmentDetail } from './environment-schemas.ts';
import type { LocatedEnvironment } from './locate-environment.ts';

type Permissions = EnvironmentDetail['permissions'];

/** What the principal may do to an environment they can see, with the reason when not (for the dashboard). */
export function environmentPermissions(principal: Principal, located: LocatedEnvironment): Permissions {
  const { env } = located;
  const gone = env.phase === 'deleted' || env.phase === 'deleting' || env.desiredState === 'closed';
  const check = (action: EnvironmentAction): Permissions['delete'] => {
    if (gone) return { allowed: false, reason: `${env.namespace} is being deleted or is gone` };
    if (authorize({ isAdmin: principal.isAdmin, role: located.role }, action) !== 'allow')
      return {
        allowed: false,
        reason: `only an admin or owner of the team that owns ${located.repoFullName} may ${action} it`,
      };
    return { allowed: true, reason: null };
  };
  const retry = check('retry');
  const deploy = check('deploy');
  return {
    redeploy: check('redeploy'),
    retry:
      retry.allowed && env.phase !== 'failed'
        ? { allowed: false, reason: 'only a failed preview can be retried; redeploy deploys it again' }
        : retry,
    delete: check('delete'),
    deploy: !deploy.allowed
      ? deploy
      : env.headSha === env.deployedSha
        ? { allowed: false, reason: 'its head commit is the one deployed; redeploy deploys it again' }
        : env.generation !== env.observedGeneration
          ? { allowed: false, reason: 'a deploy of its head commit is under way' }
          : deploy,
  };
}
