import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The child's script, beside this module (`.ts` from the sources, `.js` from a build). */
const INIT_PROCESS = fileURLToPath(
  new URL(`./init-pgdata-process${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/**
 * Where an initialised, empty embedded database is kept for new data dirs: in the checkout's (or the
 * installed package's) node_modules/.cache, one per PGlite version, since a data dir belongs to the
 * PostgreSQL that wrote it.
 */
export function pgdataTemplateDir(): string {
  const require = createRequire(import.meta.url);
  const pgliteDir = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = JSON.parse(readFileSync(path.join(pgliteDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const root = fileURLToPath(new URL('../../node_modules/.cache/glimpse/', import.meta.url));
  return path.join(root, `pgdata-pglite-${version}`);
}

/**
 * Creates the embedded database in `pgdata` unless it holds one: a copy of the prepared template when there
 * is one, else PGlite's initdb, run in a process of its own so its two extra database instances never weigh
 * on the server (it held ~110 MB more afterwards), and kept as the template for the next data dir.
 * See docs/decisions/0016-embedded-database-memory.md.
 */
export async function createPgdata(pgdata: string): Promise<void> {
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) return;
  await mkdir(path.dirname(pgdata), { recursive: true });
  if (await preparePgdataTemplate()) {
    const template = pgdataTemplateDir();
    await cp(template, pgdata, { recursive: true, errorOnExist: true, force: false });
    return;
  }
  // No template could be kept (a read-only installation): initialise the data dir itself.
  await initPgdata(pgdata);
}

/** Prepares the template now unless there is one (`npm install` does, so a first start copies it). */
export async function preparePgdataTemplate(): Promise<boolean> {
  const template = pgdataTemplateDir();
  if (!existsSync(path.join(template, 'PG_VERSION'))) await prepareTemplate(template);
  return existsSync(path.join(template, 'PG_VERSION'));
}

/** Initialises a template beside its final place and moves it there; another process may win the race. */
async function prepareTemplate(template: string): Promise<void> {
  const scratch = `${template}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(template), { recursive: true });
    await rm(scratch, { recursive: true, force: true });
    await initPgdata(scratch);
    await rm(path.join(scratch, 'postmaster.pid'), { force: true });
    await rename(scratch, template);
  } catch {
    // Not writable, or another process put its template there first: either way, nothing to keep.
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function initPgdata(dir: string): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, INIT_PROCESS, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`initialising the embedded database in ${dir} failed: ${stderr.trim()}`);
}
