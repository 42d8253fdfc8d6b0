import { describe, expect, it } from 'vitest';
import type { Sandbox } from './choose-sandbox.ts';
import { sandboxLaunch } from './sandbox-launch.ts';

const bubblewrap: Sandbox = { mode: 'bubblewrap', bwrap: '/usr/bin/bwrap', uids: undefined };
const limits = { prlimit: '/usr/bin/prlimit', memory: '256Mi', memoryBytes: 2 ** 28, processes: 64 };

describe('sandboxLaunch', () => {
  it('runs the command as batch work around its rlimits, around the sandbox', () => {
    const launch = sandboxLaunch(
      { sandbox: bubblewrap, writable: ['/w'], uid: 210_000, limits, chrt: '/usr/bin/chrt' },
      'node server.js',
      '/w',
    );
    expect(launch.file).toBe('/usr/bin/chrt');
    expect(launch.uid).toBe(210_000);
    const [batch, priority, prlimit, ...rest] = launch.args;
    expect([batch, priority, prlimit]).toEqual(['--batch', '0', '/usr/bin/prlimit']);
    expect(rest.slice(0, 4)).toEqual(['--as=268435456', '--nproc=64', '--', '/usr/bin/bwrap']);
    expect(rest.at(-1)).toBe('node server.js');
  });

  it('schedules the command as any process without chrt', () => {
    const none: Sandbox = { mode: 'none', reason: 'test' };
    const confinement = { sandbox: none, writable: [], uid: undefined, limits: undefined, chrt: undefined };
    expect(sandboxLaunch(confinement, 'node server.js', '/w')).toEqual({
      file: '/bin/sh',
      args: ['-c', 'node server.js'],
      uid: undefined,
    });
    expect(sandboxLaunch({ ...confinement, limits }, 'node server.js', '/w').file).toBe('/usr/bin/prlimit');
  });
});
