/**
 * The small set of errors the core raises. Each transport (HTTP, MCP, CLI) maps them in one place;
 * callers match on the class, never on message text.
 */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type DomainErrorCode =
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'UNAVAILABLE';

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
}

export class Unauthorized extends DomainError {
  readonly code = 'UNAUTHORIZED';
}

export class InvalidInput extends DomainError {
  readonly code = 'INVALID_INPUT';
}

export class Conflict extends DomainError {
  readonly code = 'CONFLICT';
}

/** A transient failure of something outside Glimpse (database, GitHub, cluster): worth retrying. */
export class Unavailable extends DomainError {
  readonly code = 'UNAVAILABLE';
}
