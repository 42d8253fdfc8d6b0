import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

export interface DataDirOwner {
  pid: number;
  role: 'server' | 'cli';
  startedAt: string;
  hostname: string;
}

export class DataDirInUse extends Error {
  readonly owner: DataDirOwner;

  constructor(dataDir: string, owner: DataDirOwner) {
    const what = owner.role === 'server' ? 'a running Glimpse server' : 'a Glimpse command';
    super(
      `GLIMPSE_DATA_DIR ${dataDir} is in use by ${what} (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt}). ` +
        'Stop that process first, or set GLIMPSE_DATA_DIR to another directory.',
    );
    this.owner = owner;
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

function lockFile(dataDir: string): string {
  return path.join(dataDir, 'glimpse.lock');
}

/**
 * Takes exclusive ownership of the embedded database in `dataDir` (PGlite allows one process).
 * A lock left by a process that no longer exists is taken over.
 */
export async function lockDataDir(dataDir: string, role: DataDirOwner['role']): Promise<DataDirLock> {
  const file = lockFile(dataDir);
  const me: DataDirOwner = {
    pid: process.pid,
    role,
    startedAt: new Date().toISOString(),
    hostname: hostname(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${JSON.stringify(me)}\n`);
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
    const owner = await liveDataDirOwner(dataDir);
    if (owner !== undefined) throw new DataDirInUse(dataDir, owner);
    await rm(file, { force: true });
  }
  throw new Error(`Could not take the lock ${file}: another process keeps taking it.`);
}

/** The process holding the data dir, if it is still alive. */
export async function liveDataDirOwner(dataDir: string): Promise<DataDirOwner | undefined> {
  let owner: DataDirOwner;
  try {
    owner = JSON.parse(await readFile(lockFile(dataDir), 'utf8')) as DataDirOwner;
  } catch {
    return undefined;
  }
  if (owner.hostname !== hostname()) return owner;
  return isAlive(owner.pid) ? owner : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}
