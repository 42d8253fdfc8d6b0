/**
 * The small set of errors the core raises. Each transport (HTTP, MCP, CLI) maps them in one place;
 * callers match on the class, never on message text.
 */
export class DomainError extends Error {
  readonly code: DomainErrorCode;

  constructor(code: DomainErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
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
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('FORBIDDEN', message, options);
  }
}

export class Unauthorized extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAUTHORIZED', message, options);
  }
}

export class InvalidInput extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

export class Conflict extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', message, options);
  }
}

/** A transient failure of something outside Glimpse (database, GitHub, cluster): worth retrying. */
export class Unavailable extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', message, options);
  }
}
