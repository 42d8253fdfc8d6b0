import { ApiException } from '@kubernetes/client-node';
import { RuntimeFailure } from '../runtime.ts';

const transientCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

interface StatusBody {
  reason?: string;
  message?: string;
}

/** The HTTP status of a client-node failure, if the API server answered. */
export function apiStatusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * Translates a failure of a Kubernetes API call into a RuntimeFailure, once, where the client is used:
 * 5xx, 429, 409, timeouts and connection resets are transient; 403 (RBAC or exceeded quota), 404, 400 and 422
 * are permanent. The message carries the API server's Status message, never request headers or credentials.
 */
export function translateKubeError(error: unknown, what: string): RuntimeFailure {
  if (error instanceof RuntimeFailure) return error;
  if (error instanceof ApiException) {
    const status = statusBody(error.body);
    const detail = status.message ?? status.reason ?? `HTTP ${error.code}`;
    const code = error.code;
    // Creating in a namespace that is still terminating (a quick close and reopen) clears up by itself.
    const terminating = code === 403 && /being terminated/i.test(detail);
    const transient = code >= 500 || code === 429 || code === 409 || code === 408 || terminating;
    let hint = '';
    if (code === 403 && /exceeded quota/i.test(detail)) hint = ' (the preview exceeds its resource quota)';
    else if (code === 403 && !terminating)
      hint = ' (grant Glimpse the permission; `glimpse doctor` lists the RBAC rules)';
    return new RuntimeFailure(`${what} failed: ${code} ${detail}${hint}`, { transient, cause: error });
  }
  const code = networkCode(error);
  if (code !== undefined) {
    return new RuntimeFailure(`${what} failed: cannot reach the Kubernetes API (${code})`, {
      transient: true,
      cause: error,
    });
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new RuntimeFailure(`${what} failed: the Kubernetes API did not answer in time`, {
      transient: true,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RuntimeFailure(`${what} failed: ${message}`, { transient: true, cause: error });
}

function statusBody(body: unknown): StatusBody {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { reason, message } = parsed as Record<string, unknown>;
  return {
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && transientCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
