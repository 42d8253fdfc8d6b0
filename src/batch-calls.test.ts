import { describe, expect, it } from 'vitest';
import { batchCalls } from './batch-calls.ts';

interface Item {
  key: string;
  value: number;
}

/** A batcher whose batches are recorded and finish only when the test says so. */
function recordingBatcher(options: { maxInFlight: number; maxBatchSize: number; fail?: boolean }) {
  const batches: Item[][] = [];
  const finishers: (() => void)[] = [];
  const call = batchCalls<Item, number>({
    run: (items) => {
      batches.push(items);
      return new Promise((resolve, reject) => {
        finishers.push(() =>
          options.fail ? reject(new Error('database down')) : resolve(items.map((item) => item.value * 10)),
        );
      });
    },
    keysOf: (item) => [item.key],
    maxInFlight: options.maxInFlight,
    maxBatchSize: options.maxBatchSize,
  });
  const finishAll = () => {
    for (const finish of finishers.splice(0)) finish();
  };
  return { call, batches, finishAll };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('batchCalls', () => {
  it('runs a lone call on the next turn of the event loop and answers its own output', async () => {
    const { call, batches, finishAll } = recordingBatcher({ maxInFlight: 1, maxBatchSize: 10 });
    const answer = call({ key: 'a', value: 1 });
    await turn();
    expect(batches).toEqual([[{ key: 'a', value: 1 }]]);
    finishAll();
    expect(await answer).toBe(10);
  });

  it('puts calls made in one turn, or while every slot is busy, into one batch', async () => {
    const { call, batches, finishAll } = recordingBatcher({ maxInFlight: 1, maxBatchSize: 10 });
    const first = [call({ key: 'a', value: 1 }), call({ key: 'b', value: 2 })];
    await turn();
    const later = [call({ key: 'c', value: 3 }), call({ key: 'd', value: 4 }), call({ key: 'e', value: 5 })];
    await turn();
    expect(batches.map((batch) => batch.length)).toEqual([2]);
    finishAll();
    expect(await Promise.all(first)).toEqual([10, 20]);
    await turn();
    expect(batches.map((batch) => batch.length)).toEqual([2, 3]);
    finishAll();
    expect(await Promise.all(later)).toEqual([30, 40, 50]);
  });

  it('never puts two calls with one key into a batch, and starts them in the order they were made', async () => {
    const { call, batches, finishAll } = recordingBatcher({ maxInFlight: 1, maxBatchSize: 10 });
    const answers = [
      call({ key: 'pr-1', value: 1 }),
      call({ key: 'pr-2', value: 2 }),
      call({ key: 'pr-1', value: 3 }),
      call({ key: 'pr-3', value: 4 }),
    ];
    for (let i = 0; i < 3; i++) {
      await turn();
      finishAll();
    }
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    expect(batches.map((batch) => batch.map((item) => item.value))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('keeps at most maxInFlight batches running and at most maxBatchSize calls in each', async () => {
    const { call, batches, finishAll } = recordingBatcher({ maxInFlight: 2, maxBatchSize: 2 });
    const answers = Array.from({ length: 7 }, (_, i) => call({ key: `k${i}`, value: i }));
    await turn();
    expect(batches.map((batch) => batch.length)).toEqual([2, 2]);
    finishAll();
    await Promise.all(answers.slice(0, 4));
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 2, 1]);
    finishAll();
    expect(await Promise.all(answers)).toEqual([0, 10, 20, 30, 40, 50, 60]);
  });

  it('answers every call of a failed batch with the error', async () => {
    const { call, finishAll } = recordingBatcher({ maxInFlight: 1, maxBatchSize: 10, fail: true });
    const answers = [call({ key: 'a', value: 1 }), call({ key: 'b', value: 2 })].map((answer) =>
      answer.then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
    );
    await turn();
    finishAll();
    expect(await Promise.all(answers)).toEqual(['database down', 'database down']);
  });
});
