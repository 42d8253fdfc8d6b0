import { z } from 'zod';
import { createRestOperations } from '../client/create-rest-operations.ts';
import { InvalidInput } from '../domain/errors.ts';
import type { PreviewOperations } from '../services/preview-operations.ts';
import type { CliIo } from './cli-io.ts';

export interface ServerFlags {
  server?: string;
  token?: string;
}

const Url = z.url({ protocol: /^https?$/ });

/**
 * The Glimpse server a command talks to: --server/--token, else GLIMPSE_URL/GLIMPSE_TOKEN; undefined when
 * neither names a server (the command then works on the database, where it can).
 */
export function serverOperations(io: CliIo, flags: ServerFlags): PreviewOperations | undefined {
  const url = flags.server ?? (io.env.GLIMPSE_URL || undefined);
  if (url === undefined) return undefined;
  if (!Url.safeParse(url).success)
    throw new InvalidInput(
      `The server "${url}" is not an http(s) URL: pass --server https://glimpse.example.com.`,
    );
  const token = flags.token ?? (io.env.GLIMPSE_TOKEN || undefined);
  if (token === undefined)
    throw new InvalidInput(
      `Talking to ${url} needs an API token: pass --token or set GLIMPSE_TOKEN (create one with "glimpse tokens create <login>").`,
    );
  return createRestOperations({ url, token });
}

export function requireServer(io: CliIo, flags: ServerFlags, command: string): PreviewOperations {
  const operations = serverOperations(io, flags);
  if (operations === undefined)
    throw new InvalidInput(
      `"glimpse ${command}" acts as you on a running server: pass --server <url> --token <token>, or set GLIMPSE_URL and GLIMPSE_TOKEN.`,
    );
  return operations;
}
