export interface BatchOptions<Input, Output> {
  /** Runs a whole batch and answers one output per input, in the same order. */
  run(inputs: Input[]): Promise<Output[]>;
  /** What must not appear twice in one batch (e.g. the row a call writes). */
  keysOf(input: Input): string[];
  /** Batches running at once; calls made while all are busy wait and go together in the next batch. */
  maxInFlight: number;
  maxBatchSize: number;
}

interface Call<Input, Output> {
  input: Input;
  resolve(output: Output): void;
  reject(error: unknown): void;
}

interface Batch<Input, Output> {
  calls: Call<Input, Output>[];
  keys: Set<string>;
}

/**
 * Turns many small calls into few: a call made while a batch slot is free runs after the current turn of
 * the event loop, with the calls made during that turn, so a quiet system adds next to no latency; under
 * load, calls pile up while the slots are busy and run together. A call sharing a key with one already
 * waiting goes into a later batch, so a batch never holds two calls for the same key, and calls for one key
 * are started in the order they were made.
 */
export function batchCalls<Input, Output>(
  options: BatchOptions<Input, Output>,
): (input: Input) => Promise<Output> {
  const waiting: Batch<Input, Output>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const runNext = () => {
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = waiting.shift() as Batch<Input, Output>;
      inFlight++;
      void runBatch(batch.calls).finally(() => {
        inFlight--;
        runNext();
      });
    }
  };

  const runBatch = async (calls: Call<Input, Output>[]) => {
    try {
      const outputs = await options.run(calls.map((call) => call.input));
      if (outputs.length !== calls.length)
        throw new Error(`a batch of ${calls.length} answered ${outputs.length} results`);
      for (const [index, call] of calls.entries()) call.resolve(outputs[index] as Output);
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  };

  return (input) =>
    new Promise<Output>((resolve, reject) => {
      const keys = options.keysOf(input);
      const last = waiting.at(-1);
      const fits =
        last !== undefined &&
        last.calls.length < options.maxBatchSize &&
        !keys.some((key) => last.keys.has(key));
      const batch = fits ? last : { calls: [], keys: new Set<string>() };
      if (!fits) waiting.push(batch);
      batch.calls.push({ input, resolve, reject });
      for (const key of keys) batch.keys.add(key);
      // Not at once: requests whose bytes have already arrived get their turn of the event loop first,
      // and join this batch. Without this, an in-process database (PGlite) that holds the loop while it
      // works would only ever see batches of one.
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          runNext();
        });
      }
    });
}
