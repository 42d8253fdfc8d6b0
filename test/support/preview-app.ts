import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** An app that logs a line per request (and one more line on start), for the dashboard's log view. */
const SERVER = String.raw`
const http = require('node:http');
console.log(process.env.START_LINE || 'started');
http.createServer((req, res) => {
  console.log('request ' + req.url);
  res.end('hello from the preview\n');
}).listen(Number(process.env.PORT));
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();
}

/**
 * A git repo with that app on `branch`; `glimpseYml` says how Glimpse runs it (a failing build makes a
 * preview that fails).
 */
export function createPreviewApp(dir: string, options: { branch: string; glimpseYml: string }): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(path.join(dir, 'server.cjs'), SERVER);
  writeFileSync(path.join(dir, '.glimpse.yml'), options.glimpseYml);
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'first version');
  git(dir, 'checkout', '--quiet', '-b', options.branch);
}
