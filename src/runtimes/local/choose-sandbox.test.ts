import { describe, expect, it } from 'vitest';
import { chooseSandbox, probeBubblewrap } from './choose-sandbox.ts';

const missing = () => ({ ok: false as const, reason: 'bwrap is not installed' });
const works = () => ({ ok: true as const, bwrap: '/usr/bin/bwrap' });

describe('chooseSandbox', () => {
  it('takes bubblewrap when it works, for auto and bubblewrap', () => {
    expect(chooseSandbox('auto', works)).toEqual({ mode: 'bubblewrap', bwrap: '/usr/bin/bwrap' });
    expect(chooseSandbox('bubblewrap', works)).toEqual({ mode: 'bubblewrap', bwrap: '/usr/bin/bwrap' });
  });

  it('falls back to no sandbox on auto, saying why, and refuses to start when bubblewrap was asked for', () => {
    expect(chooseSandbox('auto', missing)).toEqual({
      mode: 'none',
      reason: 'no sandbox available: bwrap is not installed',
    });
    expect(() => chooseSandbox('bubblewrap', missing)).toThrow(
      'GLIMPSE_LOCAL_SANDBOX=bubblewrap, but bwrap is not installed: install bubblewrap, or set GLIMPSE_LOCAL_SANDBOX=auto or none.',
    );
  });

  it('does not look for bubblewrap when told not to use it', () => {
    expect(chooseSandbox('none', () => expect.unreachable())).toEqual({
      mode: 'none',
      reason: 'GLIMPSE_LOCAL_SANDBOX=none',
    });
  });
});

describe('probeBubblewrap', () => {
  it('says bwrap is missing when no folder of PATH holds it', () => {
    expect(probeBubblewrap('/nonexistent:relative/bin')).toEqual({
      ok: false,
      reason: 'bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)',
    });
  });

  it('finds the installed bwrap and runs it', () => {
    expect(probeBubblewrap('/nonexistent:/usr/local/bin:/usr/bin')).toEqual({
      ok: true,
      bwrap: '/usr/bin/bwrap',
    });
  });
});
