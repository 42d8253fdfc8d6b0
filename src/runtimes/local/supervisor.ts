import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { LogWriter } from './log-writer.ts';
import { readProcStat, spawnGroup, stopGroup } from './process-group.ts';
import type { Confinement } from './sandbox-launch.ts';

export interface SupervisorTiming {
  restartBackoffMs: number;
  crashLimit: number;
  crashWindowMs: number;
  stopGraceMs: number;
}

export interface CrashReport {
  exitCode: number | null;
  signal: string | null;
  crashes: number;
}

export type SupervisorState = 'running' | 'restarting' | 'failed' | 'stopped';

/**
 * Keeps one start command running as its own process group. An unexpected exit restarts it after
 * a backoff that doubles per crash; `crashLimit` crashes within `crashWindowMs` give up and call
 * `onGiveUp`. `onSpawn` learns each new group (pid and start time) so it can be persisted.
 */
export class Supervisor {
  readonly #command: string;
  readonly #cwd: string;
  readonly #env: Record<string, string>;
  readonly #confinement: Confinement;
  readonly #log: LogWriter;
  readonly #timing: SupervisorTiming;
  readonly #logger: Logger;
  readonly #onSpawn: (pid: number, startTime: number | undefined) => void;
  readonly #onGiveUp: (report: CrashReport) => void;
  #child: ChildProcess | undefined;
  #crashTimes: number[] = [];
  #restartTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();
  state: SupervisorState = 'stopped';
  restarts = 0;
  startedAt: Date | undefined;
  lastCrash: CrashReport | undefined;

  constructor(options: {
    command: string;
    cwd: string;
    env: Record<string, string>;
    confinement: Confinement;
    log: LogWriter;
    timing: SupervisorTiming;
    logger: Logger;
    onSpawn: (pid: number, startTime: number | undefined) => void;
    onGiveUp: (report: CrashReport) => void;
  }) {
    this.#command = options.command;
    this.#cwd = options.cwd;
    this.#env = options.env;
    this.#confinement = options.confinement;
    this.#log = options.log;
    this.#timing = options.timing;
    this.#logger = options.logger;
    this.#onSpawn = options.onSpawn;
    this.#onGiveUp = options.onGiveUp;
  }

  get pid(): number | undefined {
    return this.state === 'running' ? this.#child?.pid : undefined;
  }

  start(): void {
    this.#log.line('glimpse', `starting: ${this.#command}`);
    const child = spawnGroup(this.#command, {
      cwd: this.#cwd,
      env: this.#env,
      confinement: this.#confinement,
    });
    this.#child = child;
    this.state = 'running';
    this.startedAt = new Date();
    if (child.stdout) this.#log.pipe(child.stdout, 'app');
    if (child.stderr) this.#log.pipe(child.stderr, 'app');
    if (child.pid !== undefined) this.#onSpawn(child.pid, readProcStat(child.pid)?.startTime);
    this.#exited = new Promise((resolve) => {
      let done = false;
      const onExit = (code: number | null, signal: string | null) => {
        if (done) return;
        done = true;
        resolve();
        if (this.#child === child) this.#crashed(code, signal, child.pid);
      };
      child.on('error', (error) => {
        this.#log.line('glimpse', `could not start: ${error.message}`);
        onExit(null, null);
      });
      child.on('exit', onExit);
    });
  }

  /** Stops the group (SIGTERM, SIGKILL after the grace period) and any pending restart. */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    if (this.state !== 'failed') this.state = 'stopped';
    if (child?.pid !== undefined) {
      await stopGroup(child.pid, this.#timing.stopGraceMs);
      await this.#exited;
    }
  }

  #crashed(exitCode: number | null, signal: string | null, pgid: number | undefined): void {
    this.#child = undefined;
    // Children the shell left behind would hold the port: clear the group before a restart.
    if (pgid !== undefined) void stopGroup(pgid, 0);
    const now = Date.now();
    this.#crashTimes = [...this.#crashTimes.filter((t) => now - t < this.#timing.crashWindowMs), now];
    const crashes = this.#crashTimes.length;
    const how = signal === null ? `exit code ${exitCode}` : `signal ${signal}`;
    this.lastCrash = { exitCode, signal, crashes };
    if (crashes >= this.#timing.crashLimit) {
      this.state = 'failed';
      this.#log.line('glimpse', `exited with ${how}; ${crashes} crashes in a row, giving up`);
      this.#logger.warn({ exitCode, signal, crashes }, 'preview process crashed too often');
      this.#onGiveUp(this.lastCrash);
      return;
    }
    const backoff = this.#timing.restartBackoffMs * 2 ** (crashes - 1);
    this.state = 'restarting';
    this.#log.line('glimpse', `exited with ${how}; restarting in ${backoff} ms`);
    this.#logger.info({ exitCode, signal, crashes, backoff }, 'preview process crashed; restarting');
    this.#restartTimer = setTimeout(() => {
      this.restarts += 1;
      this.start();
    }, backoff);
  }
}
