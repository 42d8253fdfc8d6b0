import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startGithubSimulator } from './start-github-simulator.ts';

/**
 * Runs the GitHub simulator on its own:
 *   node test/support/github-sim/main.ts --port 3999 --repo acme/web=../web [--installation-id 1] [--validate]
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    repo: { type: 'string', multiple: true, default: [] },
    'installation-id': { type: 'string', default: '1' },
    validate: { type: 'boolean', default: false },
  },
});

const installationId = Number(values['installation-id']);
const sim = await startGithubSimulator({
  port: Number(values.port),
  host: values.host,
  validateResponses: values.validate,
});
for (const spec of values.repo) {
  const [fullName, gitDir] = spec.split('=');
  if (!fullName || !gitDir || !fullName.includes('/')) {
    console.error(`--repo expects owner/name=<path to a git repository>, got "${spec}"`);
    process.exit(2);
  }
  await sim.addRepo({ fullName, gitDir: resolve(gitDir), installationId });
}
const keyFile = join(mkdtempSync(join(tmpdir(), 'github-sim-')), 'app-private-key.pem');
writeFileSync(keyFile, sim.privateKey, { mode: 0o600 });

console.log(`GitHub simulator listening on ${sim.url}`);
console.log(`GITHUB_API_URL=${sim.url}`);
console.log(`GITHUB_APP_ID=${sim.appId}`);
console.log(`GITHUB_PRIVATE_KEY_PATH=${keyFile}`);
console.log(`installation id: ${installationId}; repos: ${values.repo.join(', ') || '(none)'}`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
