import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The build-only Go modules (one per upstream project, so their dependency graphs never meet). */
export const buildModulesDir = join(dirname(fileURLToPath(import.meta.url)), 'build');

export interface BuildModule {
  /** Directory under build/ holding its go.mod and go.sum. */
  dir: string;
  /** The upstream module whose release go.mod pins. */
  upstream: string;
  /** Go packages to build, and the binary each becomes. */
  binaries: { pkg: string; name: string }[];
  /** Extra linker flags (version stamps). */
  ldflags: (version: string) => string[];
}

const kubeVersionVar = 'k8s.io/component-base/version';

export const buildModules: BuildModule[] = [
  {
    dir: 'etcd',
    upstream: 'go.etcd.io/etcd/server/v3',
    binaries: [{ pkg: 'go.etcd.io/etcd/server/v3', name: 'etcd' }],
    ldflags: () => [],
  },
  {
    dir: 'kubernetes',
    upstream: 'k8s.io/kubernetes',
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map((name) => ({
      pkg: `k8s.io/kubernetes/cmd/${name}`,
      name,
    })),
    ldflags: (version) => {
      const [major, minor] = version.replace(/^v/, '').split('.');
      return [
        `-X ${kubeVersionVar}.gitVersion=${version}`,
        `-X ${kubeVersionVar}.gitMajor=${major}`,
        `-X ${kubeVersionVar}.gitMinor=${minor}`,
        `-X ${kubeVersionVar}.gitTreeState=clean`,
        `-X k8s.io/client-go/pkg/version.gitVersion=${version}`,
      ];
    },
  },
  {
    dir: 'kwok',
    upstream: 'sigs.k8s.io/kwok',
    binaries: [{ pkg: 'sigs.k8s.io/kwok/cmd/kwok', name: 'kwok' }],
    ldflags: () => [],
  },
];

/** kwok's own stage files (Pods Pending → Running → Ready, Nodes Ready, deletion), copied from its module. */
export const kwokStageFiles = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

/** The release a build module's go.mod requires of its upstream module. */
export function pinnedVersion(module: BuildModule): string {
  const goMod = readFileSync(join(buildModulesDir, module.dir, 'go.mod'), 'utf8');
  const escaped = module.upstream.replaceAll('.', '\\.');
  const match = new RegExp(`^(?:require )?\\s*${escaped} (v[^\\s/]+)`, 'm').exec(goMod);
  if (match?.[1] === undefined) throw new Error(`${module.dir}/go.mod does not require ${module.upstream}`);
  return match[1];
}

/** Where builds and Go's caches live: outside the repository, shared by every clone on the machine. */
export function kubeCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLIMPSE_KUBE_CACHE ?? join(homedir(), '.cache', 'glimpse', 'kube');
}

/**
 * The directory of one build, named after the pinned releases plus a digest of the build modules, so changing
 * a pin or a go.sum builds afresh beside the old one.
 */
export function kubeBuildDir(env: NodeJS.ProcessEnv = process.env): string {
  const digest = createHash('sha256');
  for (const module of buildModules) {
    for (const file of ['go.mod', 'go.sum'])
      digest.update(readFileSync(join(buildModulesDir, module.dir, file)));
  }
  const versions = buildModules.map((m) => `${m.dir}-${pinnedVersion(m)}`);
  return join(kubeCacheRoot(env), `${versions.join('_')}_${digest.digest('hex').slice(0, 10)}`);
}

export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  /** kwok stage files, each passed with `--config`. */
  kwokStages: string[];
}

/** Paths of one build's binaries (whether or not they exist yet). */
export function kubeBinaries(buildDir: string = kubeBuildDir()): KubeBinaries {
  const bin = (name: string) => join(buildDir, 'bin', name);
  return {
    etcd: bin('etcd'),
    kubeApiserver: bin('kube-apiserver'),
    kubeControllerManager: bin('kube-controller-manager'),
    kubeScheduler: bin('kube-scheduler'),
    kubectl: bin('kubectl'),
    kwok: bin('kwok'),
    kwokStages: kwokStageFiles.map((file) => join(buildDir, 'kwok-stages', file.split('/').at(-1) ?? file)),
  };
}

/** Marks a finished build; its absence means the build must (re)run. */
export function buildStampPath(buildDir: string): string {
  return join(buildDir, 'complete');
}
