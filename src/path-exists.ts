import { access } from 'node:fs/promises';

/** Whether a file or directory exists (and can be seen by this process). */
export async function pathExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
