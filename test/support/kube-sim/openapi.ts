import type { DiscoveryOptions } from './discovery.ts';
import { apiVersionOf, isStored, type ResourceType, resourceTypes } from './resource-types.ts';

/**
 * Just enough OpenAPI v3 for kubectl: `/openapi/v3` lists one document per group version, and each
 * document has the resource paths with their operations tagged by GVK and the query parameters.
 * kubectl's QueryParamVerifierV3 reads the PATCH operations to learn that the server does
 * `fieldValidation` itself, and then skips client-side schema validation. No v2 (kubectl wants it as
 * protobuf, and only client-side apply and explain need it).
 */
export function openApiResponse(path: string, opts: DiscoveryOptions): unknown {
  const visible = resourceTypes.filter(
    (t) => isStored(t) || (t.group === 'metrics.k8s.io' ? opts.metricsAvailable : true),
  );
  const groupVersions = [
    ...new Set(visible.map((t) => (t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`))),
  ];
  if (path === '/openapi/v3') {
    return {
      paths: Object.fromEntries(
        groupVersions.map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${hashOf(gv)}` }]),
      ),
    };
  }
  const gv = path.replace(/^\/openapi\/v3\//, '');
  if (!groupVersions.includes(gv)) return undefined;
  const types = visible.filter(
    (t) => (t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`) === gv,
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.3' },
    paths: Object.fromEntries(types.flatMap((t) => pathsFor(gv, t))),
    components: { schemas: Object.fromEntries(types.map((t) => [schemaName(t), schemaFor(t)])) },
  };
}

function hashOf(text: string): string {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).toUpperCase().padStart(16, '0');
}

function schemaName(t: ResourceType): string {
  const pkg = t.group === '' ? 'core' : t.group.split('.')[0];
  return `io.k8s.api.${pkg}.${t.version}.${t.kind}`;
}

function gvk(t: ResourceType): unknown {
  return { group: t.group, version: t.version, kind: t.kind };
}

function queryParam(name: string): unknown {
  return { name, in: 'query', description: name, schema: { type: 'string', uniqueItems: true } };
}

function operation(t: ResourceType, action: string, params: string[]): unknown {
  return {
    tags: [t.group === '' ? `core_${t.version}` : `${t.group}_${t.version}`],
    operationId: `${action}${t.kind}`,
    parameters: params.map(queryParam),
    responses: {
      '200': {
        description: 'OK',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } },
      },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t),
  };
}

function pathsFor(gv: string, t: ResourceType): [string, unknown][] {
  const base = t.namespaced ? `/${gv}/namespaces/{namespace}/${t.plural}` : `/${gv}/${t.plural}`;
  const write = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
  const item: Record<string, unknown> = {
    get: operation(t, 'get', ['pretty']),
    put: operation(t, 'put', write),
    patch: operation(t, 'patch', [...write, 'force']),
    delete: operation(t, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'pretty']),
  };
  const collection: Record<string, unknown> = {
    get: operation(t, 'list', [
      'labelSelector',
      'fieldSelector',
      'limit',
      'continue',
      'resourceVersion',
      'watch',
      'allowWatchBookmarks',
      'timeoutSeconds',
    ]),
    post: operation(t, 'post', write),
  };
  if (!t.verbs.includes('patch')) return [[base, { post: collection.post }]];
  return [
    [base, collection],
    [`${base}/{name}`, item],
  ];
}

function schemaFor(t: ResourceType): unknown {
  return {
    description: `${t.kind} (${apiVersionOf(t)}), as served by the simulator.`,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    'x-kubernetes-group-version-kind': [gvk(t)],
  };
}
