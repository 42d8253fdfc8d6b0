import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeFailure } from '../runtime.ts';

/** A clone URL Glimpse agreed to fetch from, and the git protocol it needs. */
export interface CloneSource {
  url: string;
  protocol: 'https' | 'http' | 'file';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Checks a clone URL before git sees it. https is always accepted; plain http only on loopback
 * (test servers, never a token over the network); file:// and local paths only with
 * allowFileRepos; everything else (ssh, git://, ext::, URLs with credentials) is refused.
 * Messages never repeat the URL, which could hold a secret.
 */
export function parseCloneSource(raw: string, allowFileRepos: boolean): CloneSource {
  const refuse = (why: string) => new RuntimeFailure(`Cannot fetch the source: ${why}`, { transient: false });
  if (raw.startsWith('/') || raw.startsWith('file:')) {
    if (!allowFileRepos) {
      throw refuse(
        'the clone URL is a local path or file:// URL, which the local runtime refuses unless GLIMPSE_ALLOW_FILE_REPOS=1',
      );
    }
    let file: string;
    try {
      file = raw.startsWith('/') ? raw : fileURLToPath(raw);
    } catch {
      throw refuse('the clone URL is not a valid file:// URL');
    }
    return { url: path.resolve(file), protocol: 'file' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('the clone URL is not a valid URL');
  }
  const protocol =
    url.protocol === 'https:'
      ? 'https'
      : url.protocol === 'http:' && LOOPBACK.has(url.hostname)
        ? 'http'
        : undefined;
  if (protocol === undefined)
    throw refuse(`clone URLs must use https (got ${url.protocol.replace(/:$/, '')})`);
  if (url.username !== '' || url.password !== '') {
    throw refuse('the clone URL must not contain credentials; the token is passed separately');
  }
  return { url: url.href, protocol };
}
