import { describe, expect, it } from 'vitest';
import { authorize, type EnvironmentAction } from './authorize.ts';

const actions: EnvironmentAction[] = ['view', 'logs', 'retry', 'redeploy', 'delete', 'deploy'];

describe('authorize', () => {
  it('hides every environment from someone outside the owning team', () => {
    for (const action of actions) expect(authorize({ isAdmin: false, role: undefined }, action)).toBe('hide');
  });

  it('lets members do everything but delete, which they are refused', () => {
    for (const action of actions)
      expect(authorize({ isAdmin: false, role: 'member' }, action)).toBe(
        action === 'delete' ? 'deny' : 'allow',
      );
  });

  it('lets team admins and owners delete, and Glimpse admins do anything in any team', () => {
    expect(authorize({ isAdmin: false, role: 'admin' }, 'delete')).toBe('allow');
    expect(authorize({ isAdmin: false, role: 'owner' }, 'delete')).toBe('allow');
    for (const action of actions) expect(authorize({ isAdmin: true, role: undefined }, action)).toBe('allow');
  });
});
