/** Time that only moves when something sleeps: a wait of minutes is proven without taking it. */
export interface VirtualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Every wait asked for, in ms, in order. */
  readonly sleeps: number[];
}

export function virtualClock(start = Date.parse('2026-01-01T00:00:00Z')): VirtualClock {
  let current = start;
  const sleeps: number[] = [];
  return {
    now: () => current,
    sleeps,
    async sleep(ms) {
      sleeps.push(ms);
      current += Math.max(ms, 0);
    },
  };
}
