import type { EnvironmentSpec } from '../runtime.ts';
import { environmentLabels } from './isolation-manifests.ts';
import type { KubeManifest } from './kube-manifest.ts';
import type { PreviewResources } from './resolve-resources.ts';

export const APP_NAME = 'preview';

export interface ImageManifestInput {
  spec: EnvironmentSpec;
  image: string;
  port: number;
  host: string;
  ingressClass: string;
  resources: PreviewResources;
  healthPath: string | undefined;
  progressDeadlineSeconds: number;
}

/** A tag-safe form of a branch name for the `{branch}` placeholder. */
export function tagSafe(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 128) || 'branch'
  );
}

/** `kubernetes.image` with `{sha}`, `{pr}` and `{branch}` filled in. */
export function imageReference(template: string, spec: EnvironmentSpec): string {
  return template
    .replaceAll('{sha}', spec.commitSha)
    .replaceAll('{pr}', String(spec.prNumber))
    .replaceAll('{branch}', tagSafe(spec.branch));
}

/**
 * Seconds a preview's container has to stop after SIGTERM (Kubernetes' default is 30). The namespace controller
 * waits about half the longest grace period of a namespace's pods before it looks again, so this bounds how long a
 * closed preview's namespace stays Terminating; a preview has no connections worth draining for longer.
 */
export const TERMINATION_GRACE_SECONDS = 5;

/** The Deployment, Service and Ingress Glimpse generates for `kubernetes.image`. */
export function imageManifests(input: ImageManifestInput): KubeManifest[] {
  const { spec } = input;
  const ns = spec.namespace;
  const labels = { ...environmentLabels(spec), 'app.kubernetes.io/name': APP_NAME };
  const selector = { 'app.kubernetes.io/name': APP_NAME, 'glimpse.dev/environment': ns };
  const env = [
    ...Object.entries(spec.config.env).map(([name, value]) => ({ name, value })),
    { name: 'PORT', value: String(input.port) },
    { name: 'GLIMPSE_PR', value: String(spec.prNumber) },
    { name: 'GLIMPSE_SHA', value: spec.commitSha },
    { name: 'GLIMPSE_BRANCH', value: spec.branch },
  ];
  const probe =
    input.healthPath === undefined
      ? {}
      : { readinessProbe: { httpGet: { path: input.healthPath, port: 'http' }, periodSeconds: 5 } };
  const deployment: KubeManifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP_NAME, namespace: ns, labels },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: input.progressDeadlineSeconds,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          containers: [
            {
              name: 'app',
              image: input.image,
              ports: [{ name: 'http', containerPort: input.port, protocol: 'TCP' }],
              env,
              resources: { limits: { ...input.resources.limits }, requests: { ...input.resources.requests } },
              ...probe,
            },
          ],
        },
      },
    },
  };
  const service: KubeManifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: APP_NAME, namespace: ns, labels },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  const ingress: KubeManifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: APP_NAME, namespace: ns, labels },
    spec: {
      ingressClassName: input.ingressClass,
      rules: [
        {
          host: input.host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: APP_NAME, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  };
  return [deployment, service, ingress];
}
