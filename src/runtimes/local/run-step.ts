import type { LogWriter } from './log-writer.ts';
import { spawnGroup, stopGroup } from './process-group.ts';
import type { Confinement } from './sandbox-launch.ts';

export interface StepResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
}

/**
 * Runs one shell command (install or build) in its own process group, its output in the log.
 * At the deadline or on abort the whole group is stopped. `onGroup` learns the group id while it
 * runs, so it can be recorded and cleaned up after a Glimpse restart.
 */
export function runStep(options: {
  name: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  confinement: Confinement;
  log: LogWriter;
  deadline: number;
  signal: AbortSignal;
  stopGraceMs: number;
  onGroup?: (pgid: number | undefined) => void;
}): Promise<StepResult> {
  return new Promise((resolve) => {
    options.log.line('glimpse', `running ${options.name}: ${options.command}`);
    const child = spawnGroup(options.command, {
      cwd: options.cwd,
      env: options.env,
      confinement: options.confinement,
    });
    let timedOut = false;
    let aborted = false;
    const stop = () => {
      if (child.pid !== undefined) void stopGroup(child.pid, options.stopGraceMs);
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        stop();
      },
      Math.max(0, options.deadline - Date.now()),
    );
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (child.stdout) options.log.pipe(child.stdout, options.name);
    if (child.stderr) options.log.pipe(child.stderr, options.name);
    options.onGroup?.(child.pid);
    let settled = false;
    const finish = (exitCode: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      options.onGroup?.(undefined);
      resolve({ exitCode, signal, timedOut, aborted });
    };
    child.on('error', (error) => {
      options.log.line('glimpse', `${options.name} could not start: ${error.message}`);
      finish(null, null);
    });
    // The step is over when its shell exits. Anything it left running in its group (a watcher, a
    // daemon holding the output pipes open) is stopped; the output still in the pipes is read
    // before resolving, so the log excerpt has the last lines. A process that left the group
    // keeps the pipes open: give up waiting for them after a moment.
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) void stopGroup(child.pid, 0);
      const late = setTimeout(() => finish(code, signal), 2_000);
      child.on('close', () => {
        clearTimeout(late);
        finish(code, signal);
      });
    });
  });
}
