import type { Octokit } from '@octokit/core';

/**
 * Checked just before a request goes out, on every attempt: throwing stops the request unsent. Glimpse's
 * controller passes "this attempt still holds the environment's lease", so a write that waited for its turn
 * (writes are spaced 1 s apart) or for a retry is not sent once another attempt has taken over.
 */
export type SendGuard = () => Promise<void>;

/** The request option that carries a request's guard (octokit passes unknown `request` options through). */
export function guardedRequest(guard: SendGuard): { request: { sendGuard: SendGuard } } {
  return { request: { sendGuard: guard } };
}

/**
 * An octokit plugin; listed before the retry plugin, its hook is the innermost, so it runs right before
 * each attempt is sent, after any wait for a write turn, a rate limit or a retry.
 */
export function sendGuards(octokit: Octokit): void {
  octokit.hook.wrap('request', async (request, options) => {
    const guard = (options.request as { sendGuard?: SendGuard } | undefined)?.sendGuard;
    if (guard !== undefined) await guard();
    return request(options);
  });
}
