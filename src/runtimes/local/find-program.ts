import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The first executable `name` in the absolute folders of `searchPath` (a PATH), if any. */
export function findProgram(searchPath: string, name: string): string | undefined {
  return searchPath
    .split(':')
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
