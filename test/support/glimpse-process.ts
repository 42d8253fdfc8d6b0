import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface GlimpseProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code; rejects if it has not exited within `ms`. */
  exited(ms?: number): Promise<number | null>;
  waitForOutput(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts the real `glimpse` CLI as a child process (Node from node_modules, as npm scripts do). `nodeArgs`
 * replaces the sources' entry point (e.g. with an installed package's, and node flags); `cwd` is its directory.
 */
export function startGlimpse(
  args: string[],
  env: Record<string, string>,
  options: { nodeArgs?: string[]; cwd?: string } = {},
): GlimpseProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? [MAIN]), ...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    async exited(ms = 15_000) {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`glimpse did not exit within ${ms} ms:\n${output}`)), ms).unref(),
      );
      return Promise.race([exit, timeout]);
    },
    waitForOutput(pattern, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${output}`));
        }, ms);
        listeners.add(check);
        void exit.then(() => {
          check();
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`glimpse exited before printing ${pattern}:\n${output}`));
          }
        });
        check();
      });
    },
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
