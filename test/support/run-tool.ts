import { spawn } from 'node:child_process';
import { dirname } from 'node:path';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  kubeconfig?: string;
  stdin?: string;
  timeoutMs?: number;
  /** Called with stdout as it grows (for watching commands); return true to stop the tool. */
  onStdout?: (soFar: string) => boolean;
}

/** Runs kubectl or helm with KUBECONFIG (and HOME next to it, so discovery caches stay per simulator). */
export function runTool(binary: string, args: string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    if (opts.kubeconfig !== undefined) {
      env.KUBECONFIG = opts.kubeconfig;
      env.HOME = dirname(opts.kubeconfig);
    } else env.HOME = process.env.HOME ?? '/tmp';
    const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 25_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.onStdout?.(stdout) === true) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
