import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../src/runtimes/local/health-check.ts';
import { signalGroup } from '../../src/runtimes/local/process-group.ts';
import { groupCpuMicros } from './group-cpu.ts';

const NGINX = '/usr/sbin/nginx';

export interface Nginx {
  port: number;
  /** Its process group: the master and the worker. */
  pgid: number;
  /** CPU time of nginx's master and worker so far, in microseconds. */
  cpuMicros(): number;
  stop(): Promise<void>;
}

/**
 * nginx as a second baseline for the proxy (Debian `nginx-light`): one worker, keep-alive connections to
 * the app, and the same X-Forwarded-* headers Glimpse's proxy sets (the app parses as many headers behind
 * either), as a production reverse proxy in front of one app would be set up. Undefined when nginx is not
 * installed.
 */
export async function startNginx(appPort: number): Promise<Nginx | undefined> {
  if (!existsSync(NGINX)) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'glimpse-bench-nginx-'));
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${dir}/${kind};`)
    .join('\n');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
${temp}
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    detached: true,
    stdio: 'ignore',
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('nginx did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`nginx did not listen; see ${dir}/error.log`);
    await delay(50);
  }
  return {
    port,
    pgid,
    cpuMicros: () => groupCpuMicros(pgid),
    async stop() {
      signalGroup(pgid, 'SIGQUIT');
      await Promise.race([exited, delay(10_000)]);
      signalGroup(pgid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
