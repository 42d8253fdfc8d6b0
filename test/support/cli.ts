import { runCli } from '../../src/cli/run-cli.ts';
import type { Environment } from '../../src/config/config.ts';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one `glimpse` command in this process with the given environment, capturing its output. */
export async function cli(env: Environment, ...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, {
    env,
    cwd: process.cwd(),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { exitCode, stdout, stderr };
}
