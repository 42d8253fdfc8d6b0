import type { EnvironmentSpec } from '../runtime.ts';
import { RuntimeFailure } from '../runtime.ts';
import { parseCloneSource } from './clone-source.ts';
import { isNamespace } from './preview-host.ts';

/** What makes a spec undeployable before any work starts; each is a permanent failure. */
export function checkSpec(spec: EnvironmentSpec, allowFileRepos: boolean): RuntimeFailure | undefined {
  if (spec.config.local?.start === undefined) {
    return new RuntimeFailure(
      'This repository has no start command for the local runtime: add local.start to .glimpse.yml, for example `local: { start: npm start }`',
      { transient: false },
    );
  }
  if (!isNamespace(spec.namespace)) {
    return new RuntimeFailure(
      `Namespace ${JSON.stringify(spec.namespace)} is not a DNS label (lowercase letters, digits, hyphens)`,
      { transient: false },
    );
  }
  try {
    parseCloneSource(spec.cloneUrl, allowFileRepos);
  } catch (error) {
    return error instanceof RuntimeFailure ? error : new RuntimeFailure(String(error), { transient: false });
  }
  return undefined;
}
