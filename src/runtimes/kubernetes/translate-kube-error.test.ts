import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { translateKubeError } from './translate-kube-error.ts';

const api = (code: number, message: string) =>
  new ApiException(code, 'x', JSON.stringify({ kind: 'Status', code, message }), {
    authorization: 'Bearer t0ken',
  });

describe('translateKubeError', () => {
  it('treats 5xx, 429, 409 and connection resets as transient', () => {
    for (const code of [500, 503, 504, 429, 409]) {
      expect(translateKubeError(api(code, 'busy'), 'applying').transient).toBe(true);
    }
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
    });
    expect(translateKubeError(reset, 'applying')).toMatchObject({ transient: true });
    expect(translateKubeError(reset, 'applying').message).toContain('ECONNRESET');
  });

  it('treats an exceeded quota, a forbidden verb and an invalid object as permanent, with the server message', () => {
    const quota = translateKubeError(
      api(403, 'pods "a" is forbidden: exceeded quota: glimpse-quota'),
      'creating',
    );
    expect(quota.transient).toBe(false);
    expect(quota.message).toContain('exceeded quota');
    expect(quota.message).toContain('resource quota');
    expect(translateKubeError(api(403, 'cannot patch deployments'), 'applying').transient).toBe(false);
    const invalid = translateKubeError(
      api(422, 'Deployment.apps "x" is invalid: spec.replicas'),
      'applying x',
    );
    expect(invalid.transient).toBe(false);
    expect(invalid.message).toBe('applying x failed: 422 Deployment.apps "x" is invalid: spec.replicas');
  });

  it('retries creating in a namespace that is still being terminated', () => {
    const terminating = api(
      403,
      'unable to create new content in namespace pr-a-1 because it is being terminated',
    );
    expect(translateKubeError(terminating, 'applying').transient).toBe(true);
  });

  it('never repeats headers or credentials in the message', () => {
    expect(translateKubeError(api(500, 'boom'), 'applying').message).not.toContain('t0ken');
  });
});
