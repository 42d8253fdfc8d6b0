import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git } from '../local-runtime/support/app-repo.ts';

/** An app that logs a line per request (and one more line on start), for the dashboard's log view. */
const SERVER = String.raw`
const http = require('node:http');
console.log(process.env.START_LINE || 'started');
http.createServer((req, res) => {
  console.log('request ' + req.url);
  res.end('hello from the preview\n');
}).listen(Number(process.env.PORT));
`;

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
