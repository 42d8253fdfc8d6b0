import process from 'node:process';
import { runCli } from './run-cli.ts';

/**
 * Writes to a stream that a reader may close early (`glimpse env show … | head`): once it did, the rest of
 * the output has nowhere to go, and the command finishes quietly instead of dying on EPIPE with a stack.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

const exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: writerTo(process.stdout),
  stderr: writerTo(process.stderr),
});
process.exitCode = exitCode;
