import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceDownloader } from '../../src/controller/source-download.ts';
import { PR_COMMENT_MARKER } from '../../src/domain/pr-comment.ts';
import type { KubernetesRuntime } from '../../src/runtimes/kubernetes/kubernetes-runtime.ts';
import { chartFiles } from '../kubernetes-runtime/chart-fixture.ts';
import { FAST_KUBELET, fastRuntime, helmPath } from '../kubernetes-runtime/runtime-fixture.ts';
import { createGitRepo, type GitRepoFixture } from '../support/create-git-repo.ts';
import {
  type GlimpseHarness,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { type KubeTarget, kubeWaitMs, startKubeTarget } from '../support/kube-target.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/charts';
const CHART = { '.glimpse.yml': 'kubernetes:\n  chart: deploy/chart\n', ...chartFiles };
const TEMPLATE = 'deploy/chart/templates/deployment.yaml';

/** A chart in the repo, end to end: the controller reads the config, downloads the tarball, helm renders it. */
describe('chart previews on Kubernetes, end to end', () => {
  let kube: KubeTarget;
  let runtime: KubernetesRuntime;
  let harness: GlimpseHarness;
  let git: GitRepoFixture;
  let repo: PullRequestFields['repo'];

  beforeAll(async () => {
    kube = await startKubeTarget({ kubelet: FAST_KUBELET, controllerTickMs: 50 });
    git = createGitRepo(CHART);
    let download: ((repoFullName: string, sha: string) => Promise<Buffer>) | undefined;
    runtime = fastRuntime(kube, {
      helmPath: await helmPath(),
      fetchSource: (spec) => (download as NonNullable<typeof download>)(spec.repoFullName, spec.commitSha),
    });
    harness = await startGlimpseHarness('pglite', { runtime });
    download = sourceDownloader(harness.database.handle.db, harness.githubClient);
    const id = await harness.connectRepo(FULL_NAME, git.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: 'https://github.com/acme/charts.git' };
  });
  afterAll(async () => {
    await harness.close();
    await runtime.close();
    await kube.close();
    git.remove();
  });

  const open = (number: number, files: Record<string, string>) => {
    const sha = git.commit(files, { branch: `feature-${number}` });
    return {
      sha,
      sent: harness.pullRequest('opened', { repo, number, sha, updatedAt: '2024-01-01T00:00:00Z' }),
    };
  };
  const comment = (pr: number) =>
    harness.github.comments(FULL_NAME, pr).find((c) => c.body.includes(PR_COMMENT_MARKER))?.body;

  it("deploys the chart at the PR's commit with per-PR values", async () => {
    const { sha, sent } = open(1, { 'README.md': 'one\n' });
    await sent;
    const env = await harness.waitForPhase(1, 'running', kubeWaitMs(20_000));
    expect(env.deployedSha).toBe(sha);
    const spec = (await kube.get('apps', 'deployments', 'pr-charts-1', 'preview-web'))?.spec as {
      replicas?: number;
    };
    expect(spec.replicas).toBe(1);
    expect(JSON.stringify(spec)).toContain(`ghcr.io/acme/chart-web:${sha}`);
  });

  it("fails a chart that does not render with helm's message, on the PR too", async () => {
    const broken = chartFiles[TEMPLATE].replace('{{ .Values.image.tag }}', '{{ .Values.image.tag.missing }}');
    const { sent } = open(2, { [TEMPLATE]: broken });
    await sent;
    const env = await harness.waitForPhase(2, 'failed', kubeWaitMs(20_000));
    expect(env.error).toContain('deployment.yaml');
    expect(env.error).toMatch(/can't evaluate field missing/);
    expect(await kube.get('apps', 'deployments', 'pr-charts-2', 'preview-web')).toBeUndefined();
    const body = await waitFor(() => comment(2)?.includes('Failed') && comment(2));
    expect(body).toContain("can't evaluate field missing");
  });
});
