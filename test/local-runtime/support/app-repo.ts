import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A tiny dependency-free Node app: GET / prints its version and commit, /health answers 200,
 * /env and /headers echo what the process sees, /echo returns the request body, /crash exits with code 7, and any WebSocket
 * upgrade gets an echo server (a minimal RFC 6455 implementation, text frames only). HEALTH_STATUS sets the status
 * /health answers with (a 3xx redirects to /); IGNORE_SIGTERM makes it log SIGTERM and carry on.
 */
const SERVER = String.raw`
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const version = fs.readFileSync(__dirname + '/VERSION', 'utf8').trim();
if (process.env.CRASH_ON_START) { console.error('boom: refusing to start'); process.exit(3); }
const delay = Number(process.env.START_DELAY_MS || 0);
const server = http.createServer((req, res) => {
  if (req.url === '/health') { if (process.env.HEALTH_STATUS) res.writeHead(Number(process.env.HEALTH_STATUS), { location: '/' }); res.end('ok'); return; }
  if (req.url === '/env') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(process.env)); return; }
  if (req.url === '/headers') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(req.headers)); return; }
  if (req.url === '/echo') { res.setHeader('content-type', req.headers['content-type'] || 'text/plain'); req.pipe(res); return; }
  if (req.url === '/crash') { res.end('bye'); console.log('crashing on request'); setTimeout(() => process.exit(7), 10); return; }
  res.end('version=' + version + ' commit=' + process.env.GLIMPSE_COMMIT_SHA + '\n');
});
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 6) {
      const opcode = buffer[0] & 0x0f;
      let length = buffer[1] & 0x7f, offset = 2;
      if (length === 126) { length = buffer.readUInt16BE(2); offset = 4; }
      if (buffer.length < offset + 4 + length) return;
      const mask = buffer.subarray(offset, offset + 4);
      const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length)).map((b, i) => b ^ mask[i % 4]);
      buffer = buffer.subarray(offset + 4 + length);
      if (opcode === 8) { socket.end(Buffer.from([0x88, 0])); return; }
      const text = Buffer.from('echo ' + version + ': ' + Buffer.from(payload).toString());
      const header = text.length < 126 ? Buffer.from([0x81, text.length]) : Buffer.from([0x81, 126, text.length >> 8, text.length & 255]);
      socket.write(Buffer.concat([header, text]));
    }
  });
  socket.on('error', () => {});
});
setTimeout(() => server.listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT + ' version ' + version)), delay);
process.on('SIGTERM', () => {
  if (process.env.IGNORE_SIGTERM) { console.log('ignoring SIGTERM'); return; }
  console.log('stopping'); server.close(); process.exit(0);
});
`;

export interface AppRepo {
  dir: string;
  /** Writes VERSION (and any extra files), commits, and returns the new commit's sha. */
  commit(version: string, files?: Record<string, string>): string;
}

export function git(dir: string, ...args: string[]): string {
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

/** Creates the app repository in `dir` with a first commit of version `v1`. */
export function createAppRepo(dir: string): AppRepo {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(path.join(dir, 'server.cjs'), SERVER);
  const repo: AppRepo = {
    dir,
    commit(version, files = {}) {
      writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      git(dir, 'add', '-A');
      git(dir, 'commit', '--quiet', '-m', `version ${version}`);
      return git(dir, 'rev-parse', 'HEAD');
    },
  };
  repo.commit('v1');
  return repo;
}
