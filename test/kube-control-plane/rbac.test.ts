import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { kubeConfigFor } from '../kube-sim/client-helpers.ts';
import { failureOf, fastRuntime, specFor } from '../kubernetes-runtime/runtime-fixture.ts';
import { cli } from '../support/cli.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import { type GithubSimulator, startGithubSimulator } from '../support/github-sim/start-github-simulator.ts';
import { type GlimpseHarness, startGlimpseHarness } from '../support/glimpse-harness.ts';
import { type KubeTarget, onRealKube, startKubeTarget } from '../support/kube-target.ts';
import { ensureKubeTools } from '../support/kube-tools.ts';
import { waitFor } from '../support/wait-for.ts';

/** The ClusterRole README documents under "Cluster access", read from README itself. */
function readmeRules(): V1PolicyRule[] {
  const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Cluster access.**'));
  const block = /```yaml\n(rules:[\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README has no ClusterRole rules under "Cluster access"');
  return (parse(block) as { rules: V1PolicyRule[] }).rules;
}

describe.skipIf(!onRealKube)(
  'Glimpse with a ServiceAccount bound to exactly the ClusterRole README documents',
  () => {
    let kube: KubeTarget;
    let rbac: RbacAuthorizationV1Api;
    let saKubeconfig: string;
    let github: GithubSimulator;
    let dataDir: string;
    const never = new AbortController().signal;
    const rules = readmeRules();

    const grant = async (granted: V1PolicyRule[]) => {
      await rbac.replaceClusterRole({
        name: 'glimpse',
        body: { metadata: { name: 'glimpse' }, rules: granted },
      });
    };

    beforeAll(async () => {
      kube = await startKubeTarget();
      if (kube.serviceAccountKubeconfigPath === undefined) throw new Error('no ServiceAccount kubeconfig');
      saKubeconfig = kube.serviceAccountKubeconfigPath;
      rbac = kubeConfigFor(kube).makeApiClient(RbacAuthorizationV1Api);
      await rbac.createClusterRole({ body: { metadata: { name: 'glimpse' }, rules } });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name: 'glimpse' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'glimpse' },
          subjects: [{ kind: 'ServiceAccount', name: 'glimpse', namespace: 'glimpse-system' }],
        },
      });
      github = await startGithubSimulator();
      dataDir = mkdtempSync(path.join(tmpdir(), 'glimpse-rbac-'));
    });
    afterAll(async () => {
      await github?.close();
      await kube?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const doctor = async () => {
      const env = {
        GLIMPSE_DATA_DIR: dataDir,
        GLIMPSE_RUNTIME: 'kubernetes',
        KUBECONFIG: saKubeconfig,
        GLIMPSE_HELM_PATH: (await ensureKubeTools()).helm,
        GITHUB_APP_ID: String(github.appId),
        GITHUB_PRIVATE_KEY: github.privateKey,
        GITHUB_API_URL: github.url,
      };
      expect((await cli(env, 'migrate')).exitCode).toBe(0);
      return cli(env, 'doctor');
    };

    it('passes glimpse doctor, and carries a PR through open, push and close', async () => {
      const result = await doctor();
      expect(result.stdout).toMatch(/^ok\s+kubernetes\s.*all \d+ permissions granted$/m);
      expect(result.exitCode).toBe(0);

      let git: GitRepoFixture | undefined;
      let harness: GlimpseHarness | undefined;
      const runtime = fastRuntime({ kubeconfigPath: saKubeconfig });
      try {
        git = createGitRepo({
          '.glimpse.yml': 'kubernetes:\n  image: ghcr.io/acme/shop:{sha}\n  port: 8080\n',
        });
        harness = await startGlimpseHarness('pglite', { runtime });
        const repo = {
          id: await harness.connectRepo('acme/shop', git.dir),
          fullName: 'acme/shop',
          cloneUrl: 'https://github.com/acme/shop.git',
        };
        const first = git.commit({ 'a.txt': '1' }, { branch: 'feature-1' });
        await harness.pullRequest('opened', {
          repo,
          number: 1,
          sha: first,
          updatedAt: '2024-01-01T00:01:00Z',
        });
        await harness.waitForPhase(1, 'running', 120_000);
        const second = git.commit({ 'a.txt': '2' }, { branch: 'feature-1' });
        await harness.pullRequest('synchronize', {
          repo,
          number: 1,
          sha: second,
          updatedAt: '2024-01-01T00:02:00Z',
        });
        const h = harness;
        await waitFor(async () => (await h.environment(1)).deployedSha === second, 120_000, 'the push');
        await harness.pullRequest('closed', {
          repo,
          number: 1,
          sha: second,
          updatedAt: '2024-01-01T00:03:00Z',
        });
        await harness.waitForPhase(1, 'deleted', 180_000);
        expect(await kube.get('', 'namespaces', undefined, 'pr-shop-1')).toBeUndefined();
      } finally {
        await harness?.close();
        await runtime.close();
        git?.remove();
      }
    }, 600_000);

    it('with one rule removed, doctor names the permission and a deploy fails naming it', async () => {
      const withoutQuotas = rules.map((rule) =>
        rule.resources?.includes('resourcequotas') === true
          ? { ...rule, resources: rule.resources.filter((r) => r !== 'resourcequotas') }
          : rule,
      );
      await grant(withoutQuotas);
      try {
        const result = await waitFor(
          async () => {
            const r = await doctor();
            return r.exitCode === 1 ? r : undefined;
          },
          30_000,
          'RBAC to see the changed role',
        );
        expect(result.stdout).toMatch(
          /^FAIL\s+kubernetes\s+7 of \d+ permissions missing: get resourcequotas,/m,
        );
        expect(result.stdout).toContain('resources: ["resourcequotas"]');

        const runtime: KubernetesRuntime = fastRuntime({ kubeconfigPath: saKubeconfig });
        try {
          const failure = await failureOf(runtime.deploy(specFor(2, { image: 'ghcr.io/acme/web:1' }), never));
          expect(failure.transient).toBe(false);
          expect(failure.message).toContain('resourcequotas');
          expect(failure.message).toContain('forbidden');
        } finally {
          await runtime.close();
        }
      } finally {
        await grant(rules);
      }
    }, 300_000);
  },
);
