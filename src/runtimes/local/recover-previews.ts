import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isNamespace } from './preview-host.ts';
import { type PreviewState, readPreviewStates } from './preview-state.ts';
import type { SourceCache } from './source-cache.ts';
import { stopOrphans } from './stop-orphans.ts';

/**
 * After a Glimpse restart: for every preview state file, stops the process groups the previous
 * process left running, removes the worktrees, and returns the states so the runtime can keep
 * the records (and last logs) and report the previews as needing a deploy (or as failed).
 */
export async function recoverPreviews(options: {
  previewsDir: string;
  source: SourceCache;
  stopGraceMs: number;
  logger: Logger;
}): Promise<PreviewState[]> {
  const { states, unreadable } = await readPreviewStates(options.previewsDir);
  for (const dir of unreadable) options.logger.warn({ dir }, 'preview state unreadable; left alone');
  const recovered = await Promise.all(
    states.map(async ({ dir, state }) => {
      if (!isNamespace(state.ref.namespace) || path.basename(dir) !== state.ref.namespace) {
        options.logger.warn({ dir }, 'preview state names another namespace; left alone');
        return undefined;
      }
      const stopped = await stopOrphans(state.groups, options.stopGraceMs);
      await options.source.removeWorktree(state.ref.repoFullName, path.join(dir, 'deployments'));
      await rm(path.join(dir, 'deployments'), { recursive: true, force: true });
      const needs = state.lastAttemptFailed === true ? 'its last attempt failed' : 'needs a deploy';
      options.logger.info({ environment: state.ref.namespace, stopped }, `preview recovered; ${needs}`);
      return state;
    }),
  );
  return recovered.filter((state): state is PreviewState => state !== undefined);
}
