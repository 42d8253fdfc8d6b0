import type { ResourceType } from './resource-types.ts';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
  type?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** An API error carrying the exact `kind: Status` body the real API server would send. */
export class KubeStatusError extends Error {
  readonly body: StatusBody;

  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details !== undefined) this.body.details = details;
  }

  get code(): number {
    return this.body.code;
  }
}

export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

function details(type: ResourceType, name: string): StatusBody['details'] {
  return type.group === '' ? { name, kind: type.plural } : { name, group: type.group, kind: type.plural };
}

export function notFound(type: ResourceType, name: string): KubeStatusError {
  return new KubeStatusError(
    404,
    'NotFound',
    `${qualifiedResource(type)} "${name}" not found`,
    details(type, name),
  );
}

export function alreadyExists(type: ResourceType, name: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(type)} "${name}" already exists`,
    details(type, name),
  );
}

export function conflict(type: ResourceType, name: string, why: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`,
    details(type, name),
  );
}

export function invalid(type: ResourceType, name: string, causes: StatusCause[]): KubeStatusError {
  const kind = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const message = `${kind} "${name}" is invalid: ${causes.length > 1 ? `[${text}]` : text}`;
  const d = { name, kind: type.kind, causes: causes.map((c) => ({ ...c, message: c.message })) };
  return new KubeStatusError(422, 'Invalid', message, type.group === '' ? d : { ...d, group: type.group });
}

export function forbidden(type: ResourceType, name: string, why: string): KubeStatusError {
  const subject = name === '' ? qualifiedResource(type) : `${qualifiedResource(type)} "${name}"`;
  return new KubeStatusError(403, 'Forbidden', `${subject} is forbidden: ${why}`, details(type, name));
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(): KubeStatusError {
  return new KubeStatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

export function pathNotFound(): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export function unsupportedMediaType(
  contentType: string,
  accepted = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted} (got ${contentType})`,
  );
}

export function expired(message: string): KubeStatusError {
  return new KubeStatusError(410, 'Expired', message);
}

export function internalError(message: string): KubeStatusError {
  return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(message: string): KubeStatusError {
  return new KubeStatusError(503, 'ServiceUnavailable', message);
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
}
