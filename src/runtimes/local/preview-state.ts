import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const ProcessGroup = z.object({ pid: z.number().int().positive(), startTime: z.number().optional() });
export type ProcessGroup = z.infer<typeof ProcessGroup>;

/**
 * What survives a Glimpse restart, one file per preview (`<root>/previews/<ns>/state.json`): which
 * process groups belong to the preview (so orphans can be stopped), which log is the last one, and
 * whether its last attempt failed (nothing redeploys a failed preview, so its page keeps saying so), and
 * the uid it runs as.
 */
export const PreviewState = z.object({
  version: z.literal(1),
  ref: z.object({ namespace: z.string(), repoFullName: z.string(), prNumber: z.number().int() }),
  serving: z
    .object({ deploymentId: z.string(), commitSha: z.string(), port: z.number().int(), logFile: z.string() })
    .nullable(),
  groups: z.array(ProcessGroup),
  lastLogFile: z.string().optional(),
  lastAttemptFailed: z.boolean().optional(),
  /** The preview's own uid, kept across a restart so its HOME stays its own. */
  uid: z.number().int().positive().optional(),
});
export type PreviewState = z.infer<typeof PreviewState>;

export function stateFile(previewDir: string): string {
  return path.join(previewDir, 'state.json');
}

/** Writes atomically (temp file, rename), so a crash never leaves half a file. */
export async function writePreviewState(previewDir: string, state: PreviewState): Promise<void> {
  const file = stateFile(previewDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function removePreviewState(previewDir: string): Promise<void> {
  await rm(stateFile(previewDir), { force: true });
}

/** Every readable state file under `previewsDir`; unreadable ones are reported, not fatal. */
export async function readPreviewStates(
  previewsDir: string,
): Promise<{ states: { dir: string; state: PreviewState }[]; unreadable: string[] }> {
  const names = await readdir(previewsDir).catch(() => [] as string[]);
  const states: { dir: string; state: PreviewState }[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const dir = path.join(previewsDir, name);
    const text = await readFile(stateFile(dir), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      states.push({ dir, state: PreviewState.parse(JSON.parse(text)) });
    } catch {
      unreadable.push(dir);
    }
  }
  return { states, unreadable };
}
