import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs every benchmark (`bench/<name>/main.ts`), or only those named on the command line. */
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const names = readdirSync(benchDir)
  .filter((name) => statSync(path.join(benchDir, name)).isDirectory())
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (names.length === 0) {
  console.error(wanted.length > 0 ? `No benchmark named ${wanted.join(', ')}.` : 'No benchmarks found.');
  process.exit(1);
}
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name}`);
  const result = spawnSync(process.execPath, [path.join(benchDir, name, 'main.ts')], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
