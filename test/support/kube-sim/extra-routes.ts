import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessRules } from './access-rules.ts';
import { isPodReady } from './controller-util.ts';
import { sendJson } from './http-io.ts';
import type { ImageBehaviors } from './image-behaviors.ts';
import { arrayField, field, type KubeObject, objectField, stringField } from './kube-object.ts';
import { KubeStatusError, notFound } from './kube-status.ts';
import type { ObjectStore } from './object-store.ts';
import { timestamp } from './object-store.ts';
import { mustType } from './resource-types.ts';
import { selectorObjectMatches } from './selectors.ts';

const podType = mustType('', 'pods');
const svcType = mustType('', 'services');

/** POST selfsubjectaccessreviews: answers from the test's deny rules (a denial says only `allowed: false`, like RBAC). */
export function accessReview(body: unknown, rules: AccessRules): unknown {
  const attrs = objectField(body, 'spec', 'resourceAttributes');
  const verb = stringField(attrs, 'verb') ?? '';
  const a = {
    verb,
    resource: stringField(attrs, 'resource') ?? '',
    group: stringField(attrs, 'group') ?? '',
    ...(stringField(attrs, 'namespace') ? { namespace: stringField(attrs, 'namespace') ?? '' } : {}),
    ...(stringField(attrs, 'subresource') ? { subresource: stringField(attrs, 'subresource') ?? '' } : {}),
  };
  const allowed = rules.isAllowed(a);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: objectField(body, 'spec'),
    status: allowed
      ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "glimpse"' }
      : { allowed: false },
  };
}

/** A service's ready backends: pods matching its selector that are Ready. */
export function readyEndpoints(store: ObjectStore, svc: KubeObject): KubeObject[] {
  const selector = objectField(svc, 'spec', 'selector') as Record<string, string>;
  if (Object.keys(selector).length === 0) return [];
  return store
    .list(podType, svc.metadata.namespace)
    .filter(
      (p) =>
        p.metadata.deletionTimestamp === undefined &&
        selectorObjectMatches({ matchLabels: selector }, p.metadata.labels ?? {}) &&
        isPodReady(p),
    );
}

/** /api/v1/namespaces/{ns}/services/{name[:port]}/proxy/{path}: 200 from a ready pod, per-image statuses, else 503. */
export function serviceProxy(
  res: ServerResponse,
  req: IncomingMessage,
  store: ObjectStore,
  images: ImageBehaviors,
  namespace: string,
  nameAndPort: string,
  path: string,
): void {
  const [name = '', port] = nameAndPort.split(':');
  const svc = store.get(svcType, namespace, name);
  if (svc === undefined) throw notFound(svcType, name);
  if (
    port !== undefined &&
    port !== '' &&
    !arrayField(svc, 'spec', 'ports').some(
      (p) => String(field(p, 'name')) === port || String(field(p, 'port')) === port,
    )
  ) {
    throw new KubeStatusError(
      503,
      'ServiceUnavailable',
      `no endpoints available for service "${nameAndPort}"`,
    );
  }
  const pods = readyEndpoints(store, svc);
  const pod = pods[0];
  if (pod === undefined)
    throw new KubeStatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
  const image = stringField(arrayField(pod, 'spec', 'containers')[0], 'image') ?? '';
  const behavior = images.get(image);
  const status = behavior.kind === 'ok' ? (behavior.responses?.[path] ?? 200) : 200;
  const body =
    status < 400
      ? `ok: ${req.method} ${path} served by ${pod.metadata.name}\n`
      : `error ${status} from ${pod.metadata.name}\n`;
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

export interface MetricsControls {
  enabled: boolean;
  usage: Map<string, { cpu: string; memory: string }>;
}

/** metrics.k8s.io pod metrics for running pods (usage set by tests, or a small default). */
export function podMetrics(
  res: ServerResponse,
  store: ObjectStore,
  metrics: MetricsControls,
  namespace: string | undefined,
  name: string | undefined,
): void {
  const pods = store.list(podType, namespace).filter((p) => stringField(p, 'status', 'phase') === 'Running');
  const items = pods.map((p) => ({
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {
      name: p.metadata.name,
      namespace: p.metadata.namespace,
      creationTimestamp: timestamp(),
      labels: p.metadata.labels ?? {},
    },
    timestamp: timestamp(),
    window: '15s',
    containers: arrayField(p, 'spec', 'containers').map((c) => ({
      name: String(field(c, 'name')),
      usage: metrics.usage.get(`${p.metadata.namespace}/${p.metadata.name}`) ?? { cpu: '2m', memory: '24Mi' },
    })),
  }));
  if (name !== undefined) {
    const one = items.find((i) => i.metadata.name === name);
    if (one === undefined)
      throw new KubeStatusError(404, 'NotFound', `podmetrics.metrics.k8s.io "${name}" not found`, {
        name,
        group: 'metrics.k8s.io',
        kind: 'pods',
      });
    sendJson(res, 200, one);
    return;
  }
  sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
}

/** The autoscaling/v1 Scale view of a workload. */
export function scaleOf(o: KubeObject): unknown {
  const selector = objectField(o, 'spec', 'selector', 'matchLabels') as Record<string, string>;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: field(o, 'spec', 'replicas') ?? 1 },
    status: {
      replicas: field(o, 'status', 'replicas') ?? 0,
      selector: Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}
