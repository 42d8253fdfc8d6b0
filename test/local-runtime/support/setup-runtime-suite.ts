import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { LocalRuntimeOptions } from '../../../src/runtimes/local/local-runtime-options.ts';
import { type AppRepo, createAppRepo } from './app-repo.ts';
import { type Harness, startHarness, tempDir } from './runtime-harness.ts';

/**
 * What most local-runtime test files share: a running runtime (a Harness), the app repo with one commit, and
 * a temp dir. A test that restarts the runtime assigns the new Harness onto the suite, so that it is closed last.
 */
export interface RuntimeSuite extends Harness {
  dir: string;
  repo: AppRepo;
  /** The commit made before the runtime started. */
  sha: string;
}

/** Builds the suite before the file's tests and removes it after them; read its fields inside tests. */
export function setupRuntimeSuite(
  name: string,
  options: { commit: string; runtime?: Partial<LocalRuntimeOptions> },
): RuntimeSuite {
  const temp = tempDir(name);
  const suite = { dir: temp.dir } as RuntimeSuite;
  beforeAll(async () => {
    suite.repo = createAppRepo(path.join(temp.dir, 'repo'));
    suite.sha = suite.repo.commit(options.commit);
    Object.assign(suite, await startHarness(path.join(temp.dir, 'data'), options.runtime));
  });
  afterAll(async () => {
    await suite.runtime?.close();
    temp.remove();
  });
  return suite;
}
