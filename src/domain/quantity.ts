const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a Kubernetes quantity in base units (cores, bytes); undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const suffix = match[2] ?? '';
  const factor = binary[suffix] ?? decimal[suffix];
  return factor === undefined ? undefined : amount * factor;
}

/** CPU quantity in millicores, rounded up. */
export function formatCpu(cores: number): string {
  return `${Math.ceil(cores * 1000 - 1e-9)}m`;
}

/** Memory quantity in Mi when whole, else bytes. */
export function formatMemory(bytes: number): string {
  const mi = bytes / 2 ** 20;
  return Number.isInteger(mi) ? `${mi}Mi` : String(Math.ceil(bytes));
}
