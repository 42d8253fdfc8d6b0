/**
 * The verb and resource of a Kubernetes API request, for metrics: `get`, `list`, `watch`, `create`, `patch`,
 * `update`, `delete`, `deletecollection` (or the method in lower case), and the resource type with its
 * subresource (`pods`, `pods/log`, `deployments`; `discovery` for the API's own descriptions). Never a
 * namespace or an object's name.
 */
export function kubeRequestLabels(method: string, url: string): { verb: string; resource: string } {
  const parsed = URL.parse(url, 'https://cluster.invalid');
  const segments = (parsed?.pathname ?? '').split('/').filter((s) => s !== '');
  // `/api/v1/...` or `/apis/<group>/<version>/...`
  const rest =
    segments[0] === 'api' ? segments.slice(2) : segments[0] === 'apis' ? segments.slice(3) : undefined;
  if (rest === undefined || rest.length === 0)
    return { verb: verbOf(method, false, false), resource: 'discovery' };
  // `namespaces/<ns>/<resource>/...`; `namespaces/<name>` alone is the namespace itself.
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const [resource = 'discovery', name, subresource] = scoped;
  const watch = parsed?.searchParams.get('watch') === 'true' || parsed?.searchParams.get('watch') === '1';
  return {
    verb: verbOf(method, name !== undefined, watch),
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
  };
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method.toUpperCase()) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PATCH':
      return 'patch';
    case 'PUT':
      return 'update';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return (
        method
          .toLowerCase()
          .replace(/[^a-z]/g, '')
          .slice(0, 10) || 'other'
      );
  }
}
