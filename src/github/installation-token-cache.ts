/**
 * Installation tokens, cached per installation until `refreshBeforeMs` before they expire. Concurrent
 * callers share one token request.
 */
export interface InstallationToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface InstallationTokenCacheOptions {
  fetchToken: (installationId: number) => Promise<InstallationToken>;
  now: () => number;
  refreshBeforeMs?: number;
}

export interface InstallationTokenCache {
  get(installationId: number): Promise<string>;
  /** Forgets a token GitHub no longer accepts (a 401), so the next call fetches a new one. */
  invalidate(installationId: number, token: string): void;
}

export const TOKEN_REFRESH_BEFORE_MS = 5 * 60 * 1000;

export function createInstallationTokenCache(options: InstallationTokenCacheOptions): InstallationTokenCache {
  const refreshBeforeMs = options.refreshBeforeMs ?? TOKEN_REFRESH_BEFORE_MS;
  const cached = new Map<number, InstallationToken>();
  const inFlight = new Map<number, Promise<InstallationToken>>();

  return {
    async get(installationId) {
      const token = cached.get(installationId);
      if (token && token.expiresAt - refreshBeforeMs > options.now()) return token.token;
      let pending = inFlight.get(installationId);
      if (!pending) {
        pending = options
          .fetchToken(installationId)
          .then((fresh) => {
            cached.set(installationId, fresh);
            return fresh;
          })
          .finally(() => inFlight.delete(installationId));
        inFlight.set(installationId, pending);
      }
      return (await pending).token;
    },
    invalidate(installationId, token) {
      if (cached.get(installationId)?.token === token) cached.delete(installationId);
    },
  };
}
