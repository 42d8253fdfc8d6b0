/**
 * A Glimpse stand-in for the restart test: deploys one preview, prints the app's pid, then waits
 * to be killed (SIGKILL, so nothing gets cleaned up). Run with Node: `node runtime-process.ts
 * <dataDir> <repoDir> <sha>`.
 */
import { pino } from 'pino';
import { createLocalRuntime } from '../../../src/runtimes/local/local-runtime.ts';
import { FAST_TIMING, specFor } from './runtime-harness.ts';

const [dataDir, repoDir, sha] = process.argv.slice(2);
if (dataDir === undefined || repoDir === undefined || sha === undefined)
  throw new Error('usage: <dataDir> <repoDir> <sha>');
const runtime = await createLocalRuntime({
  dataDir,
  proxyPort: 0,
  publicUrl: 'http://glimpse.test:3000',
  childPath: process.env.PATH ?? '',
  allowFileRepos: true,
  logger: pino({ level: 'silent' }),
  sandbox: { mode: 'none', reason: 'test' },
  timing: FAST_TIMING,
});
const spec = specFor({ cloneUrl: repoDir, commitSha: sha, prNumber: 8 });
await runtime.deploy(spec, AbortSignal.timeout(20_000));
const observed = await runtime.inspect(spec);
process.stdout.write(`${JSON.stringify({ pid: observed.workloads[0]?.pid })}\n`);
setInterval(() => {}, 60_000);
