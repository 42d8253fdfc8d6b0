import { describe, expect, it } from 'vitest';
import { environmentName, environmentNameCandidates } from './environment-name.ts';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

describe('environmentName', () => {
  it('is pr-<repo>-<number> for an ordinary repo', () => {
    expect(environmentName('acme/my-app', 42)).toBe('pr-my-app-42');
  });

  it('lowercases, replaces what DNS does not allow, collapses repeats and trims ends', () => {
    expect(environmentName('Acme/My_App.JS', 7)).toBe('pr-my-app-js-7');
    expect(environmentName('acme/--weird__..name--', 1)).toBe('pr-weird-name-1');
    expect(environmentName('acme/___', 3)).toBe('pr-repo-3');
  });

  it('shortens long names to 63 characters with a hash, so two long names never collide', () => {
    const a = environmentName(`acme/${'a'.repeat(80)}-service`, 123456);
    const b = environmentName(`acme/${'a'.repeat(80)}-worker`, 123456);
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_LABEL);
      expect(name).toMatch(/^pr-a+-[0-9a-f]{6}-123456$/);
    }
    expect(a).not.toBe(b);
  });

  it('keeps names of the same repo under different owners apart only when shortened', () => {
    expect(environmentName('one/app', 1)).toBe(environmentName('two/app', 1));
    const long = 'x'.repeat(70);
    expect(environmentName(`one/${long}`, 1)).not.toBe(environmentName(`two/${long}`, 1));
  });
});

describe('environmentName of a later attempt', () => {
  it('adds the hash of the full name even when the name is short', () => {
    const one = environmentName('one/app', 1, { attempt: 1 });
    const two = environmentName('two/app', 1, { attempt: 1 });
    expect(one).toMatch(/^pr-app-[0-9a-f]{6}-1$/);
    expect(one).not.toBe(two);
  });

  it('offers distinct DNS names to try, the plain one first, also for names already hashed', () => {
    const short = environmentNameCandidates('acme/zed.x', 9, 5);
    expect(short[0]).toBe('pr-zed-x-9');
    const long = environmentNameCandidates(`acme/${'a'.repeat(80)}`, 9, 5);
    for (const names of [short, long]) {
      expect(new Set(names).size).toBe(5);
      for (const name of names) {
        expect(name).toMatch(DNS_LABEL);
        expect(name.length).toBeLessThanOrEqual(63);
      }
    }
  });
});
