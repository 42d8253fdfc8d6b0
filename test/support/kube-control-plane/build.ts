import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildModules,
  buildModulesDir,
  buildStampPath,
  kubeBuildDir,
  kubeCacheRoot,
  kwokStageFiles,
  pinnedVersion,
} from './kube-binaries.ts';

/**
 * `npm run kube:build`: builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok
 * from the Go modules pinned under build/, into a cache outside the repository keyed by those pins. Does nothing
 * when that build is already there. Go's module and build caches live beside it (GOMODCACHE, GOCACHE).
 */
const started = Date.now();
const buildDir = kubeBuildDir();
if (existsSync(buildStampPath(buildDir))) {
  process.stdout.write(`kube:build: present in ${buildDir} (${seconds(started)})\n`);
  process.exit(0);
}

const go = findGo();
const cacheRoot = kubeCacheRoot();
const goEnv = {
  ...process.env,
  GOMODCACHE: join(cacheRoot, 'go', 'mod'),
  GOCACHE: join(cacheRoot, 'go', 'build'),
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-buildvcs=false -mod=readonly',
};
const staging = `${buildDir}.partial-${process.pid}`;
await rm(staging, { recursive: true, force: true });
await mkdir(join(staging, 'bin'), { recursive: true });
try {
  for (const module of buildModules) {
    const version = pinnedVersion(module);
    const cwd = join(buildModulesDir, module.dir);
    const ldflags = ['-s', '-w', ...module.ldflags(version)].join(' ');
    const names = module.binaries.map((b) => b.name).join(', ');
    process.stdout.write(`kube:build: ${names} (${module.upstream}@${version})\n`);
    // One `go build` per module, so its binaries compile and link in parallel; a single one is named explicitly.
    const [only] = module.binaries;
    const output = module.binaries.length === 1 && only !== undefined ? only.name : '';
    await run(
      'nice',
      [
        '-n',
        '15',
        go,
        'build',
        '-trimpath',
        '-ldflags',
        ldflags,
        '-o',
        `${join(staging, 'bin', output)}${output === '' ? '/' : ''}`,
        ...module.binaries.map((b) => b.pkg),
      ],
      cwd,
    );
  }
  await copyKwokStages(join(staging, 'kwok-stages'));
  await writeFile(buildStampPath(staging), `${new Date().toISOString()}\n`);
  await rm(buildDir, { recursive: true, force: true });
  await rename(staging, buildDir);
} catch (error) {
  await rm(staging, { recursive: true, force: true });
  throw error;
}
const binBytes = await directoryBytes(join(buildDir, 'bin'));
const goCacheBytes = await directoryBytes(join(cacheRoot, 'go'));
process.stdout.write(
  `kube:build: built in ${seconds(started)} into ${buildDir}: binaries ${megabytes(binBytes)}, Go caches ${megabytes(goCacheBytes)}\n`,
);

async function copyKwokStages(target: string): Promise<void> {
  const kwok = buildModules.find((m) => m.dir === 'kwok');
  if (kwok === undefined) throw new Error('no kwok build module');
  const { stdout } = await promisify(execFile)(go, ['list', '-m', '-f', '{{.Dir}}', kwok.upstream], {
    cwd: join(buildModulesDir, kwok.dir),
    env: goEnv,
  });
  await mkdir(target, { recursive: true });
  for (const file of kwokStageFiles) {
    await copyFile(join(stdout.trim(), file), join(target, file.split('/').at(-1) ?? file));
  }
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: goEnv, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go build in ${cwd} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** `go` from PATH, or the usual install location when PATH lacks it. */
function findGo(): string {
  const onPath = (process.env.PATH ?? '').split(':').find((dir) => dir !== '' && existsSync(join(dir, 'go')));
  if (onPath !== undefined) return join(onPath, 'go');
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error('kube:build needs Go 1.26 or newer: install it, or put its bin directory on PATH');
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}
