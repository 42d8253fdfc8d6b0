import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { ensureKubeTools } from '../support/kube-tools.ts';
import { runTool, type ToolResult } from '../support/run-tool.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CHART = path.join(ROOT, 'deploy/chart/glimpse');

/** The values files the chart is tested with (deploy/chart/glimpse/ci, as chart-testing expects them). */
export const VALUES_FILES = {
  minimal: path.join(CHART, 'ci/minimal-values.yaml'),
  postgres: path.join(CHART, 'ci/postgres-replicas-values.yaml'),
  existingSecret: path.join(CHART, 'ci/existing-secret-values.yaml'),
  ingressTls: path.join(CHART, 'ci/ingress-tls-values.yaml'),
} as const;

/** The ClusterRole's rules: the chart's and README's "Cluster access" (a test checks both are this file). */
export const RULES_FILE = path.join(CHART, 'files/cluster-role-rules.yaml');

const Rules = z.object({
  rules: z.array(
    z.object({ apiGroups: z.array(z.string()), resources: z.array(z.string()), verbs: z.array(z.string()) }),
  ),
});
export type ClusterRoleRule = z.infer<typeof Rules>['rules'][number];

/** The rules of RULES_FILE (or of its text, when given). */
export function clusterRoleRules(text = readFileSync(RULES_FILE, 'utf8')): ClusterRoleRule[] {
  return Rules.parse(parse(text)).rules;
}

/** A rendered object: what every test reads of it; the rest is kept as it is. */
export const Manifest = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), annotations: z.record(z.string(), z.string()).optional() }),
});
export type Manifest = z.infer<typeof Manifest>;

const probe = z.object({ httpGet: z.object({ path: z.string(), port: z.string() }) });

/** The parts of the Deployment the tests check. */
export const GlimpseDeployment = z.object({
  spec: z.object({
    replicas: z.number(),
    strategy: z.object({ type: z.string() }),
    template: z.object({
      spec: z.object({
        serviceAccountName: z.string(),
        securityContext: z.record(z.string(), z.unknown()),
        containers: z.array(
          z.object({
            image: z.string(),
            env: z.array(z.object({ name: z.string(), value: z.string() })),
            envFrom: z.array(z.object({ secretRef: z.object({ name: z.string() }) })),
            securityContext: z.record(z.string(), z.unknown()),
            startupProbe: probe,
            livenessProbe: probe,
            readinessProbe: probe,
            volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() })),
          }),
        ),
        volumes: z.array(
          z.object({
            name: z.string(),
            persistentVolumeClaim: z.object({ claimName: z.string() }).optional(),
            emptyDir: z.object({}).optional(),
          }),
        ),
      }),
    }),
  }),
});
export type GlimpseDeployment = z.infer<typeof GlimpseDeployment>;

export interface Rendered extends ToolResult {
  objects: Manifest[];
  /** Each object's YAML as helm wrote it (quoting kept, for kubectl's YAML 1.1). */
  sources: string[];
}

/** Runs the real helm binary on the chart. */
export async function helm(args: string[]): Promise<ToolResult> {
  const { helm: binary } = await ensureKubeTools();
  return runTool(binary, args, { timeoutMs: 60_000 });
}

/** A release's name and namespace. */
export interface Release {
  name: string;
  namespace: string;
}

/**
 * `helm template` of the chart with a values file and --set pairs, as release `glimpse` in namespace `glimpse`
 * unless `release` says otherwise.
 */
export async function renderChart(
  valuesFile: string,
  set: string[] = [],
  release: Release = { name: 'glimpse', namespace: 'glimpse' },
): Promise<Rendered> {
  const result = await helm([
    'template',
    release.name,
    CHART,
    '--namespace',
    release.namespace,
    '-f',
    valuesFile,
    ...set.flatMap((pair) => ['--set', pair]),
  ]);
  const documents =
    result.code === 0 ? parseAllDocuments(result.stdout).filter((doc) => doc.contents !== null) : [];
  const objects = documents.map((doc) => Manifest.parse(doc.toJS()));
  const sources = documents.map((doc) => doc.toString());
  return { ...result, objects, sources };
}

/** The one object of a kind in a render. */
export function objectOf(rendered: Rendered, kind: string): Manifest {
  const found = rendered.objects.filter((o) => o.kind === kind);
  const [only] = found;
  if (only === undefined || found.length !== 1)
    throw new Error(`expected one ${kind}, found ${found.length}`);
  return only;
}

/** The Deployment of a render, and its one container. */
export function deploymentOf(rendered: Rendered) {
  const deployment = GlimpseDeployment.parse(objectOf(rendered, 'Deployment'));
  const [container] = deployment.spec.template.spec.containers;
  if (container === undefined) throw new Error('the Deployment has no container');
  return { deployment, container, env: new Map(container.env.map((e) => [e.name, e.value])) };
}

/** A Secret's data, decoded. */
export function secretData(secret: Manifest): Record<string, string> {
  const data = z.record(z.string(), z.string()).parse(secret.data ?? {});
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}
