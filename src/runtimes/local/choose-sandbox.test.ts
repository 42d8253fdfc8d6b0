import { describe, expect, it } from 'vitest';
import { chooseSandbox, probeBubblewrap } from './choose-sandbox.ts';

const missing = () => ({ ok: false as const, reason: 'bwrap is not installed' });
const works = () => ({ ok: true as const, bwrap: '/usr/bin/bwrap' });

const uids = { first: 200_000, last: 265_535 };
const user = { uids: undefined, probe: works };

describe('chooseSandbox', () => {
  it('takes bubblewrap when it works, for auto and bubblewrap', () => {
    const expected = { mode: 'bubblewrap', bwrap: '/usr/bin/bwrap', uids: undefined };
    expect(chooseSandbox('auto', user)).toEqual(expected);
    expect(chooseSandbox('bubblewrap', user)).toEqual(expected);
  });

  it("as root, runs bubblewrap as the previews' own uids, having tried it as one of them", () => {
    const tried: (number | undefined)[] = [];
    const probe = (asUid: number | undefined) => {
      tried.push(asUid);
      return works();
    };
    expect(chooseSandbox('auto', { uids, probe })).toEqual({
      mode: 'bubblewrap',
      bwrap: '/usr/bin/bwrap',
      uids,
    });
    expect(tried).toEqual([200_000]);
  });

  it('falls back to uids of their own as root, else to no sandbox, on auto, saying why', () => {
    expect(chooseSandbox('auto', { uids, probe: missing })).toEqual({ mode: 'uid', uids });
    expect(chooseSandbox('auto', { uids: undefined, probe: missing })).toEqual({
      mode: 'none',
      reason: 'no sandbox available: bwrap is not installed',
    });
  });

  it('refuses to start without bubblewrap when it was asked for, and without root when uid was', () => {
    expect(() => chooseSandbox('bubblewrap', { uids: undefined, probe: missing })).toThrow(
      'GLIMPSE_LOCAL_SANDBOX=bubblewrap, but bwrap is not installed: install bubblewrap, or set GLIMPSE_LOCAL_SANDBOX=auto or none.',
    );
    expect(() => chooseSandbox('uid', { uids: undefined, probe: works })).toThrow(
      'GLIMPSE_LOCAL_SANDBOX=uid needs Glimpse to run as root',
    );
    expect(chooseSandbox('uid', { uids, probe: () => expect.unreachable() })).toEqual({ mode: 'uid', uids });
  });

  it('does not look for bubblewrap when told not to use it', () => {
    expect(chooseSandbox('none', { uids, probe: () => expect.unreachable() })).toEqual({
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

  it('runs it as an unprivileged uid when asked (root only)', () => {
    expect(process.getuid?.()).toBe(0);
    expect(probeBubblewrap('/usr/bin', 200_000)).toEqual({ ok: true, bwrap: '/usr/bin/bwrap' });
  });
});
