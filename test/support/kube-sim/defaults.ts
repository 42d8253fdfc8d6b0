import { isJsonObject, type JsonObject, type KubeObject } from './kube-object.ts';
import type { ResourceType } from './resource-types.ts';

function setDefault(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (obj[key] === undefined) obj[key] = value;
}

function obj(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (isJsonObject(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** The defaults the real API server fills in, for the fields tools and controllers read. */
export function applyDefaults(type: ResourceType, o: KubeObject): void {
  switch (type.kind) {
    case 'Namespace':
      setDefault(obj(o, 'spec'), 'finalizers', ['kubernetes']);
      setDefault(obj(o, 'status'), 'phase', 'Active');
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
      return;
    case 'Pod':
      podSpecDefaults(obj(o, 'spec'));
      setDefault(obj(o, 'status'), 'phase', 'Pending');
      setDefault(obj(o, 'status'), 'qosClass', 'BestEffort');
      return;
    case 'Deployment': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      setDefault(spec, 'strategy', {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      });
      podSpecDefaults(obj(obj(spec, 'template'), 'spec'));
      return;
    }
    case 'ReplicaSet':
    case 'StatefulSet': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'replicas', 1);
      if (type.kind === 'StatefulSet') {
        setDefault(spec, 'podManagementPolicy', 'OrderedReady');
        setDefault(spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
        setDefault(spec, 'revisionHistoryLimit', 10);
      }
      podSpecDefaults(obj(obj(spec, 'template'), 'spec'));
      return;
    }
    case 'Service': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      if (spec.clusterIP === undefined) {
        const n = Math.floor(Math.random() * 65000) + 10;
        spec.clusterIP = `10.96.${Math.floor(n / 254)}.${(n % 254) + 1}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      const ports = Array.isArray(spec.ports) ? spec.ports : [];
      for (const p of ports) {
        if (!isJsonObject(p)) continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port ?? 80);
      }
      setDefault(obj(o, 'status'), 'loadBalancer', {});
      return;
    }
    case 'Secret':
      setDefault(o, 'type', 'Opaque');
      return;
    default:
  }
}

function podSpecDefaults(spec: Record<string, unknown>): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const list of ['containers', 'initContainers']) {
    const containers = Array.isArray(spec[list]) ? (spec[list] as unknown[]) : [];
    for (const c of containers) {
      if (!isJsonObject(c)) continue;
      const image = typeof c.image === 'string' ? c.image : '';
      setDefault(
        c,
        'imagePullPolicy',
        image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent',
      );
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      setDefault(c, 'resources', {});
      for (const p of Array.isArray(c.ports) ? c.ports : [])
        if (isJsonObject(p)) setDefault(p, 'protocol', 'TCP');
    }
  }
}
