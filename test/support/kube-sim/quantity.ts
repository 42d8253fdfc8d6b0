const suffixes: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Parses a Kubernetes quantity ("500m", "1.5", "512Mi", "1e3") into base units. */
export function parseQuantity(text: unknown): number {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return 0;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  const factor = m?.[2] === undefined ? undefined : suffixes[m[2]];
  if (m?.[1] === undefined || factor === undefined)
    throw new Error(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got ${text})`,
    );
  return Number(m[1]) * factor;
}

/** Formats base units the way the API server prints them back ("500m", "512Mi", "2"). */
export function formatQuantity(value: number, resource: string): string {
  const isMemory = resource.includes('memory') || resource.includes('storage');
  if (isMemory) {
    for (const suffix of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
      const f = suffixes[suffix] ?? 1;
      if (value >= f && Number.isInteger(value / f)) return `${value / f}${suffix}`;
    }
    return String(Math.round(value));
  }
  if (Number.isInteger(value)) return String(value);
  return `${Math.round(value * 1000)}m`;
}
