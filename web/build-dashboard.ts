import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the dashboard (web/) into web/dist with Vite. `npm start` runs it with `--if-stale` first (the
 * `prestart` script), so a fresh clone serves the dashboard after `npm install && npm start`, and an
 * unchanged one starts at once. Where Vite is not installed (a production install), the shipped
 * web/dist is used as it is.
 */
export const WEB_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = path.join(WEB_DIR, 'dist');
const STAMP = '.source-hash';
const INPUTS = ['index.html', 'src', 'public', 'build-dashboard.ts', '../package-lock.json'];

export type BuildOutcome = 'built' | 'up to date' | 'prebuilt';

/** A hash of everything the build reads; stored in dist, so a changed source means a new build. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    if (!existsSync(file)) return;
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) add(path.join(file, name));
      return;
    }
    hash.update(path.relative(WEB_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  for (const input of INPUTS) add(path.join(WEB_DIR, input));
  return hash.digest('hex');
}

export function isUpToDate(): boolean {
  const stamp = path.join(DIST_DIR, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceHash();
}

export async function buildDashboard(options: { ifStale: boolean }): Promise<BuildOutcome> {
  if (options.ifStale && isUpToDate()) return 'up to date';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    if (existsSync(path.join(DIST_DIR, 'index.html'))) return 'prebuilt';
    throw new Error(
      'The dashboard is not built and Vite is not installed: run "npm install" (with dev dependencies), then "npm run build:web".',
    );
  }
  const hash = sourceHash();
  // Built beside dist and moved in at the end, so a server never reads half a build.
  const outDir = path.join(WEB_DIR, `.dist-${process.pid}`);
  await vite.build({
    configFile: false,
    mode: 'production',
    // React's production build, also when the caller runs with NODE_ENV=test (the browser tests).
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    root: WEB_DIR,
    base: '/',
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', development: false } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
      rolldownOptions: {
        // React Query marks its modules "use client" for server components; a browser bundle needs no such mark.
        onwarn(warning, warn) {
          if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
        },
      },
    },
  });
  writeFileSync(path.join(outDir, STAMP), hash);
  rmSync(DIST_DIR, { recursive: true, force: true });
  try {
    renameSync(outDir, DIST_DIR);
  } catch (error) {
    // Another build finished first with the same sources: keep it.
    rmSync(outDir, { recursive: true, force: true });
    if (!isUpToDate()) throw error;
  }
  return 'built';
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const ifStale = process.argv.includes('--if-stale');
  const started = Date.now();
  buildDashboard({ ifStale }).then(
    (outcome) => {
      if (outcome === 'built')
        process.stdout.write(
          `dashboard built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
