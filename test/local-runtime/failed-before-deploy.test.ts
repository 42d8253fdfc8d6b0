import { describe, expect, it } from 'vitest';
import { hostOf, request, specFor, startHarness } from './support/runtime-harness.ts';
import { setupRuntimeSuite } from './support/setup-runtime-suite.ts';

/** A preview that failed before anything of it ran (an invalid `.glimpse.yml`): what its address says. */
describe('local runtime: a preview that failed before it deployed', () => {
  const suite = setupRuntimeSuite('failed-before-deploy', { commit: 'good' });
  const restart = async () => {
    await suite.runtime.close();
    Object.assign(suite, await startHarness(suite.dataDir));
  };
  const page = (namespace: string) => request(suite.runtime.proxyPort, hostOf(suite.runtime, namespace));
  const ref = (prNumber: number) => ({ namespace: `pr-app-${prNumber}`, repoFullName: 'acme/app', prNumber });

  it('says "This preview failed" with its link, also after a restart, until it deploys', async () => {
    expect((await page('pr-app-30')).body).toContain('No preview here');
    await suite.runtime.showFailed(ref(30));
    for (const when of ['before', 'after'] as const) {
      if (when === 'after') await restart();
      const reply = await page('pr-app-30');
      expect(reply.status, when).toBe(503);
      expect(reply.body, when).toContain('This preview failed');
      expect(reply.body, when).toContain('href="http://glimpse.test:3000/environments/pr-app-30"');
    }
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 30 }),
      AbortSignal.timeout(20_000),
    );
    expect((await page('pr-app-30')).body).toBe(`version=good commit=${suite.sha}\n`);
  });

  it('leaves a version that serves alone, and is gone with the environment', async () => {
    await suite.runtime.deploy(
      specFor({ cloneUrl: suite.repo.dir, commitSha: suite.sha, prNumber: 31 }),
      AbortSignal.timeout(20_000),
    );
    await suite.runtime.showFailed(ref(31));
    expect((await page('pr-app-31')).body).toBe(`version=good commit=${suite.sha}\n`);
    await suite.runtime.showFailed(ref(32));
    await suite.runtime.destroy(ref(32), AbortSignal.timeout(20_000));
    await restart();
    expect((await page('pr-app-32')).body).toContain('No preview here');
  });
});
