import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads the token from the environment of the one git process that asks for it. The script holds
 * no secret, so it can sit on disk; the token lives only in that process's environment.
 */
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "\${GLIMPSE_GIT_USERNAME:-x-access-token}" ;;
  *) printf '%s\\n' "$GLIMPSE_GIT_TOKEN" ;;
esac
`;

export class GitCommandError extends Error {
  readonly exitCode: number | null;

  constructor(message: string, exitCode: number | null) {
    super(message);
    this.name = 'GitCommandError';
    this.exitCode = exitCode;
  }
}

/**
 * Runs git with an environment built from nothing: no system or global config (so no credential
 * helper can store the token), no terminal prompts, and the token only through GIT_ASKPASS.
 */
export class GitRunner {
  readonly #askpass: string;
  readonly #home: string;
  readonly #path: string;
  #ready: Promise<void> | undefined;

  constructor(options: { root: string; path: string }) {
    this.#askpass = path.join(options.root, 'bin', 'git-askpass.sh');
    this.#home = path.join(options.root, 'home');
    this.#path = options.path;
  }

  async run(
    args: string[],
    options: {
      token?: string | undefined;
      allowProtocols?: string;
      signal?: AbortSignal;
      timeoutMs?: number;
    } = {},
  ): Promise<string> {
    await this.#prepare();
    const env: Record<string, string> = {
      PATH: this.#path,
      HOME: this.#home,
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ASKPASS: this.#askpass,
      GIT_ALLOW_PROTOCOL: options.allowProtocols ?? 'https',
    };
    if (options.token !== undefined && options.token !== '') env.GLIMPSE_GIT_TOKEN = options.token;
    const fullArgs = ['-c', 'credential.helper=', '-c', 'core.hooksPath=/dev/null', ...args];
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        fullArgs,
        {
          env,
          maxBuffer: 16 * 1024 * 1024,
          timeout: options.timeoutMs ?? 0,
          killSignal: 'SIGKILL',
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve(stdout);
            return;
          }
          const detail = redact(String(stderr).trim() || error.message, options.token);
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new GitCommandError(`git ${args[0] ?? ''} failed: ${lastLines(detail, 5)}`, code));
        },
      );
    });
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(path.dirname(this.#askpass), { recursive: true });
      await mkdir(this.#home, { recursive: true });
      await writeFile(this.#askpass, ASKPASS_SCRIPT, { mode: 0o700 });
      await chmod(this.#askpass, 0o700);
    })();
    return this.#ready;
  }
}

function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('***') : text;
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join(' / ');
}
