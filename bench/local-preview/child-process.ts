import { type ChildProcess, fork } from 'node:child_process';

/** A message from a bench child process; every child announces itself with `ready`. */
export interface Message {
  type: string;
}

/** The next message of `type` from `child`, or an error after `timeoutMs` or when the child exits. */
export function nextMessage<M extends Message, T extends M['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M) => {
      if (message.type === type) finish(undefined, message as Extract<M, { type: T }>);
    };
    const onExit = (code: number | null) =>
      finish(new Error(`child process exited (${code}) before ${type}`));
    const finish = (error?: Error, message?: Extract<M, { type: T }>) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (message !== undefined) resolve(message);
      else reject(error);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Forks `file` with `args` and waits for its `ready` message. `BENCH_PROFILE=<dir>` writes the CPU profile
 * of the children named in `profile` there (they must exit on SIGINT or a stop message for it to be written).
 */
export async function startChild<M extends Message>(
  file: URL,
  args: string[],
  options: { profile: boolean; readyMs: number },
): Promise<{ child: ChildProcess; ready: Extract<M, { type: 'ready' }> }> {
  const profileDir = process.env.BENCH_PROFILE;
  const child = fork(file.pathname, args, {
    execArgv:
      options.profile && profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  try {
    const ready = await nextMessage<M, 'ready'>(child, 'ready', options.readyMs);
    return { child, ready };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Asks the child to stop (a message, or SIGINT), and kills it if it has not exited after `graceMs`. */
export async function stopChild(
  child: ChildProcess,
  how: Message | 'SIGINT',
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  if (how === 'SIGINT') child.kill('SIGINT');
  else child.send(how);
  await exited;
  clearTimeout(timer);
}
