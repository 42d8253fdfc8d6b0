export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies in milliseconds (NaN when there are none). */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (quantile: number) =>
    sorted.length === 0 ? Number.NaN : (sorted[Math.ceil(quantile * sorted.length) - 1] ?? Number.NaN);
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}
