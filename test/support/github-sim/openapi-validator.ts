import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Checks the simulator's own JSON responses against GitHub's OpenAPI description. The description is
 * 70 MB, so it is parsed once per process and only the operations actually answered are compiled.
 */
interface Spec {
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>;
}
interface ResponseObject {
  content?: Record<string, { schema?: unknown }>;
}

let spec: Spec | undefined;
const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
// ajv-formats ships CommonJS with a default export; under nodenext the callable is on `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv };
addFormats.default(ajv);
const compiled = new Map<string, ValidateFunction | null>();

function loadSpec(): Spec {
  if (!spec) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
    spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  }
  return spec;
}

export class OpenApiMismatch extends Error {}

/**
 * Throws OpenApiMismatch when `body` does not match the documented response of the operation
 * (`pathTemplate` as written in the description, e.g. `/repos/{owner}/{repo}`). Statuses or media
 * types the description does not document are not checked.
 */
export function validateResponse(method: string, pathTemplate: string, status: number, body: unknown): void {
  const key = `${method.toUpperCase()} ${pathTemplate} ${status}`;
  let validate = compiled.get(key);
  if (validate === undefined) {
    const operation = loadSpec().paths[pathTemplate]?.[method.toLowerCase()];
    if (!operation)
      throw new OpenApiMismatch(`${method} ${pathTemplate} is not in GitHub's OpenAPI description`);
    const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
    validate = schema === undefined ? null : ajv.compile(toJsonSchema(schema) as object);
    compiled.set(key, validate);
  }
  if (validate && !validate(body)) {
    const details = (validate.errors ?? [])
      .slice(0, 10)
      .map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
      .join('; ');
    throw new OpenApiMismatch(`github-sim response for ${key} does not match GitHub's OpenAPI: ${details}`);
  }
}

/** OpenAPI 3.0 `nullable: true` becomes JSON Schema's `null` type (and a `null` enum member). */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'example' || key === 'examples' || key.startsWith('x-')) continue;
    out[key] = key === 'properties' ? mapValues(value) : toJsonSchema(value);
  }
  if (source.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

function mapValues(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
}
