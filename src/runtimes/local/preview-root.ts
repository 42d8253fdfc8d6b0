import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../../domain/errors.ts';

/**
 * Files and folders that tools look for in the parent folders of where they run or of the file they
 * load, and that would change what a preview's commands do if one were found above its worktree:
 * Node's package scope ("type": "module") and module resolution, npm/yarn/pnpm's project root and
 * settings, TypeScript's tsconfig, linters, bundlers, Python, Rust, Go, Deno, version managers.
 * See docs/decisions/0015-preview-worktrees-outside-projects.md.
 */
export const INHERITED_FILES: readonly string[] = [
  'package.json',
  'node_modules',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.pnpmfile.cjs',
  'pnpm-workspace.yaml',
  'lerna.json',
  'nx.json',
  'turbo.json',
  'tsconfig.json',
  'jsconfig.json',
  'deno.json',
  'deno.jsonc',
  'bunfig.toml',
  '.babelrc',
  'babel.config.js',
  'babel.config.json',
  '.browserslistrc',
  '.eslintrc',
  '.eslintrc.js',
  '.eslintrc.json',
  'eslint.config.js',
  'eslint.config.mjs',
  '.prettierrc',
  'prettier.config.js',
  'biome.json',
  'biome.jsonc',
  'postcss.config.js',
  '.editorconfig',
  '.nvmrc',
  '.node-version',
  '.tool-versions',
  'mise.toml',
  '.envrc',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'Pipfile',
  '.python-version',
  'pyvenv.cfg',
  '.venv',
  'Cargo.toml',
  '.cargo',
  'rust-toolchain.toml',
  'go.mod',
  'go.work',
  'Gemfile',
  '.ruby-version',
];

const inherited = new Set(INHERITED_FILES);

/** The files of INHERITED_FILES in `dir` and every folder above it, nearest first. */
export async function inheritedFilesAbove(dir: string): Promise<string[]> {
  const found: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    const names = await readdir(current).catch(() => [] as string[]);
    for (const name of names.sort()) if (inherited.has(name)) found.push(path.join(current, name));
    const parent = path.dirname(current);
    if (parent === current) return found;
    current = parent;
  }
}

export interface PreviewRoot {
  /** Where the local runtime keeps clones, worktrees, logs and the previews' HOME. */
  root: string;
  /** The data dir or spare folder `root` lies in: Glimpse's own, from there down. */
  base: string;
  /** Candidates passed over, with what was found above them. */
  skipped: { dir: string; found: string[] }[];
}

/**
 * Where the local runtime keeps its worktrees: `<dataDir>/local` when nothing above it would be picked
 * up by a preview's commands, else the first spare folder (a per-user cache, the temp dir) of which the
 * same holds, in a subfolder named after the data dir so that two data dirs never share one. Refuses
 * (InvalidInput) when no candidate is clean, naming what it found.
 */
export async function choosePreviewRoot(options: {
  dataDir: string;
  spareDirs: readonly string[];
  /** Previews run under uids of their own: every folder above the candidate must let others through. */
  othersMustPass?: boolean;
}): Promise<PreviewRoot> {
  const dataDir = path.resolve(options.dataDir);
  const label = `${path.basename(path.dirname(dataDir)) || 'root'}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}`;
  const candidates = [
    { dir: path.join(dataDir, 'local'), base: dataDir },
    ...options.spareDirs.map((spare) => ({
      dir: path.join(path.resolve(spare), label),
      base: path.resolve(spare),
    })),
  ];
  const skipped: PreviewRoot['skipped'] = [];
  for (const { dir, base } of candidates) {
    const found = [
      ...(await inheritedFilesAbove(dir)),
      ...(options.othersMustPass === true ? await closedFoldersAbove(base) : []),
    ];
    if (found.length === 0) return { root: dir, base, skipped };
    skipped.push({ dir, found });
  }
  throw new InvalidInput(
    'No folder for preview worktrees is free of project files that previews would pick up' +
      `${options.othersMustPass === true ? ' and reachable by previews under their own uids' : ''}: ` +
      skipped.map((s) => `${s.dir} lies under ${s.found.slice(0, 3).join(', ')}`).join('; ') +
      '. Set GLIMPSE_DATA_DIR to a folder outside any project (no package.json, node_modules, ' +
      'tsconfig.json, pyproject.toml … in it or above it) whose parent folders let other users through (chmod o+x).',
  );
}

/** The existing folders above `dir` that other users cannot pass through (no o+x), described. */
async function closedFoldersAbove(dir: string): Promise<string[]> {
  const closed: string[] = [];
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const mode = await stat(current).then(
      (info) => info.mode,
      () => undefined,
    );
    if (mode !== undefined && (mode & 0o001) === 0) {
      closed.push(`${current} (mode ${(mode & 0o777).toString(8)}: other users cannot pass)`);
    }
    if (current === path.dirname(current)) return closed;
  }
}
