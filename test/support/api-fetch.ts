import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS with a default export; under nodenext the callable is on `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv2020) => Ajv2020 };

/** `fetch` with the same signature, for the API tests: every `/api/v1` answer is checked against the document. */
export type ApiFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

const DOCUMENT_ID = 'glimpse-openapi';

/**
 * A `fetch` for the Glimpse at `serverUrl` that checks every answer under `/api/v1` against the server's own
 * `/api/v1/openapi.json` with ajv: the path and method must be documented (or the answer a 404/405 error),
 * the status must be one the operation lists, the content type one of its media types, and a JSON body must
 * match the operation's response schema. A mismatch throws, so a test cannot pass on an answer a client
 * generated from the document would reject. Streams (`text/event-stream`) are checked up to their headers.
 */
export function createApiFetch(serverUrl: string): ApiFetch {
  let checker: Promise<ResponseChecker> | undefined;
  return async (url, init) => {
    const response = await fetch(url, init);
    const path = new URL(url).pathname;
    if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return response;
    checker ??= loadChecker(serverUrl);
    await (await checker)(init?.method ?? 'GET', path, response.clone());
    return response;
  };
}

type ResponseChecker = (method: string, path: string, response: Response) => Promise<void>;

async function loadChecker(serverUrl: string): Promise<ResponseChecker> {
  const answer = await fetch(`${serverUrl}/api/v1/openapi.json`);
  if (!answer.ok) throw new Error(`GET /api/v1/openapi.json answered ${answer.status}`);
  const document = (await answer.json()) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: DOCUMENT_ID, ...document });
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    literal: !template.includes('{'),
  }));
  // A literal path wins over a template that also matches it.
  templates.sort((a, b) => Number(b.literal) - Number(a.literal));
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (pointer: string): ValidateFunction => {
    let validate = validators.get(pointer);
    if (validate === undefined) {
      validate = ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
      if (validate === undefined) throw new Error(`no schema at ${pointer} of the OpenAPI document`);
      validators.set(pointer, validate);
    }
    return validate;
  };

  return async (method, path, response) => {
    const what = `${method} ${path} answered ${response.status}`;
    const template = templates.find((t) => t.pattern.test(path))?.template;
    const operation = template === undefined ? undefined : document.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) {
      if (response.status === 404 || response.status === 405) {
        const body: unknown = await response.json();
        const validate = validatorOf('/components/schemas/Error');
        if (!validate(body))
          throw new Error(`${what} with a body that is not an Error: ${errorsOf(validate)}`);
        return;
      }
      throw new Error(`${what}, but the OpenAPI document has no ${method} ${path}`);
    }
    const declared = operation.responses[String(response.status)];
    if (declared === undefined)
      throw new Error(
        `${what}, a status the OpenAPI document does not list (it lists ${Object.keys(operation.responses).join(', ')})`,
      );
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const mediaTypes = Object.keys(declared.content ?? {});
    if (mediaTypes.length === 0) return;
    if (!mediaTypes.includes(contentType))
      throw new Error(`${what} with content type "${contentType}", not one of ${mediaTypes.join(', ')}`);
    if (contentType !== 'application/json') return;
    const body: unknown = await response.json();
    const pointer = `/paths/${escapePointer(template ?? '')}/${method.toLowerCase()}/responses/${response.status}/content/application~1json/schema`;
    const validate = validatorOf(pointer);
    if (!validate(body))
      throw new Error(`${what} with a body that violates the OpenAPI document: ${errorsOf(validate)}`);
  };
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function errorsOf(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    )
    .join('; ');
}
