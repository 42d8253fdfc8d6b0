import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface BatchObject {
  sha: string;
  type: string;
  content: Buffer;
}

/**
 * One long-running `git cat-file --batch` per repository, so the simulator reads objects without starting a
 * git process for each (thousands of them at once in the scale benchmark). Answers come back in the order
 * the names were written.
 */
class CatFileBatch {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((object: BatchObject | undefined) => void)[] = [];
  #buffer = Buffer.alloc(0);

  constructor(gitDir: string, onGone: () => void) {
    this.#child = spawn('git', ['-C', gitDir, 'cat-file', '--batch']);
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#answer();
    });
    this.#child.stderr.resume();
    const gone = () => {
      onGone();
      for (const resolve of this.#waiting.splice(0)) resolve(undefined);
    };
    this.#child.once('error', gone);
    this.#child.once('exit', gone);
    this.#child.stdin.on('error', () => {});
    // Never what keeps a test process alive.
    this.#child.unref();
    for (const stream of [this.#child.stdin, this.#child.stdout, this.#child.stderr])
      (stream as unknown as { unref?: () => void }).unref?.();
  }

  read(name: string): Promise<BatchObject | undefined> {
    if (name.includes('\n') || this.#child.exitCode !== null) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${name}\n`);
    });
  }

  /** `<sha> <type> <size>\n<content>\n`, or `<name> missing\n` (and `ambiguous`). */
  #answer(): void {
    for (;;) {
      const eol = this.#buffer.indexOf(10);
      if (eol < 0) return;
      const header = this.#buffer.subarray(0, eol).toString('utf8').split(' ');
      if (header.length !== 3) {
        this.#buffer = this.#buffer.subarray(eol + 1);
        this.#waiting.shift()?.(undefined);
        continue;
      }
      const [sha = '', type = '', size = '0'] = header;
      const end = eol + 1 + Number(size);
      if (this.#buffer.length < end + 1) return;
      const content = Buffer.from(this.#buffer.subarray(eol + 1, end));
      this.#buffer = this.#buffer.subarray(end + 1);
      this.#waiting.shift()?.({ sha, type, content });
    }
  }
}

const batches = new Map<string, CatFileBatch>();

/** The object `name` (e.g. `<sha>:<path>`, `<sha>^{commit}`) names in the repository, or undefined. */
export function readObject(gitDir: string, name: string): Promise<BatchObject | undefined> {
  let batch = batches.get(gitDir);
  if (batch === undefined) {
    batch = new CatFileBatch(gitDir, () => batches.delete(gitDir));
    batches.set(gitDir, batch);
  }
  return batch.read(name);
}
