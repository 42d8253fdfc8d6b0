import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../runtime.ts';
import { parseCloneSource } from './clone-source.ts';

describe('parseCloneSource', () => {
  it('accepts https and loopback http', () => {
    expect(parseCloneSource('https://github.com/acme/app.git', false)).toEqual({
      url: 'https://github.com/acme/app.git',
      protocol: 'https',
    });
    expect(parseCloneSource('http://127.0.0.1:9000/app.git', false).protocol).toBe('http');
  });

  it('refuses plain http to another host, ssh, ext:: and other transports', () => {
    for (const url of [
      'http://github.com/acme/app.git',
      'ssh://git@github.com/a/b',
      'ext::sh -c touch% /tmp/x',
      'git://x/y',
    ]) {
      expect(() => parseCloneSource(url, true)).toThrow(RuntimeFailure);
    }
  });

  it('refuses credentials in the URL without repeating them', () => {
    let error: unknown;
    try {
      parseCloneSource('https://x-access-token:ghs_secret@github.com/acme/app.git', false);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuntimeFailure);
    expect((error as RuntimeFailure).transient).toBe(false);
    expect((error as Error).message).toContain('must not contain credentials');
    expect((error as Error).message).not.toContain('ghs_secret');
  });

  it('accepts file:// and local paths only when allowed', () => {
    expect(() => parseCloneSource('/srv/repo', false)).toThrow(/GLIMPSE_ALLOW_FILE_REPOS=1/);
    expect(() => parseCloneSource('file:///srv/repo', false)).toThrow(/GLIMPSE_ALLOW_FILE_REPOS=1/);
    expect(parseCloneSource('file:///srv/repo', true)).toEqual({ url: '/srv/repo', protocol: 'file' });
    expect(parseCloneSource('/srv/../srv/repo', true)).toEqual({ url: '/srv/repo', protocol: 'file' });
  });

  it('reads back a file:// URL made from a path with %, # or spaces', () => {
    const dir = '/tmp/my 100% repo#2?';
    expect(parseCloneSource(pathToFileURL(dir).href, true)).toEqual({ url: dir, protocol: 'file' });
    expect(() => parseCloneSource('file://elsewhere/repo', true)).toThrow(/not a valid file:\/\/ URL/);
  });
});
