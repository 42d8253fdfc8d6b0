import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';

/** The codes an agent sees; every tool failure is one of these. */
export type ToolErrorCode = 'UNAUTHORIZED' | 'NOT_FOUND' | 'INVALID_INPUT' | 'SERVER_ERROR';

const CODE_OF: Record<DomainErrorCode, ToolErrorCode> = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_INPUT: 'INVALID_INPUT',
  CONFLICT: 'INVALID_INPUT',
  UNAVAILABLE: 'SERVER_ERROR',
};

/**
 * The one place tool failures become MCP results: `isError: true`, text `CODE: message`, and the code in
 * `_meta` for programs. Domain messages say what to do; anything unexpected is a SERVER_ERROR.
 */
export function toolError(error: unknown): CallToolResult {
  const code: ToolErrorCode = error instanceof DomainError ? CODE_OF[error.code] : 'SERVER_ERROR';
  const message =
    error instanceof DomainError
      ? error.message
      : 'Glimpse failed unexpectedly; the server log has details. Try again, or report it if it persists.';
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }], _meta: { code } };
}
