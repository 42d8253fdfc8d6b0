import { describe, expect, it } from 'vitest';
import { GlimpseConfig } from '../../domain/glimpse-config.ts';
import { childEnvironment } from './child-env.ts';

describe('childEnvironment', () => {
  it('holds only PATH, HOME, preview facts, the repo env (local.env wins) and the port', () => {
    const config = GlimpseConfig.parse({
      env: { A: 'top', B: 'top' },
      local: { start: 'x', port_env: 'HTTP_PORT', env: { B: 'local' } },
    });
    const env = childEnvironment({
      path: '/bin',
      home: '/h',
      config,
      commitSha: 'abc',
      prNumber: 3,
      port: 4000,
    });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/h',
      GLIMPSE_PREVIEW: 'true',
      GLIMPSE_COMMIT_SHA: 'abc',
      GLIMPSE_PR_NUMBER: '3',
      A: 'top',
      B: 'local',
      HTTP_PORT: '4000',
    });
  });

  it('the port wins over a repo env of the same name', () => {
    const config = GlimpseConfig.parse({ env: { PORT: '1' }, local: { start: 'x' } });
    expect(
      childEnvironment({ path: '/bin', home: '/h', config, commitSha: 'a', prNumber: 1, port: 5 }).PORT,
    ).toBe('5');
  });
});
