import http from 'node:http';
import type { SignedDelivery } from './deliveries.ts';

/** What one load phase did, with a latency (ms) for every delivery that got a 2xx. */
export interface PhaseResult {
  sent: number;
  ok: number;
  errors: number;
  elapsedMs: number;
  /** CPU time the target process spent during the phase, set by the caller. */
  serverCpuMicros: number;
  latenciesMs: number[];
  /** Deliveries answered with a 2xx, and how many of those with 202 (environment work queued). */
  okIds: string[];
  accepted: number;
  /** The first few error causes, to print when something went wrong. */
  errorSamples: string[];
}

const REQUEST_TIMEOUT_MS = 10_000;
const WEBHOOK_PATH = '/api/github/webhook';

/** Posts one delivery over the agent's keep-alive sockets; resolves with the status, or an error text. */
export function post(agent: http.Agent, port: number, delivery: SignedDelivery): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: WEBHOOK_PATH,
        method: 'POST',
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': delivery.body.length,
          'user-agent': 'GitHub-Hookshot/glimpse-bench',
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.id,
          'x-hub-signature-256': delivery.signature,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', (error) => resolve(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve(error.message));
    request.end(delivery.body);
  });
}

/** One delivery on a connection of its own (setting up, not measured). */
export async function postOnce(port: number, delivery: SignedDelivery): Promise<number | string> {
  const agent = new http.Agent({ keepAlive: false });
  const outcome = await post(agent, port, delivery);
  agent.destroy();
  return outcome;
}

function newResult(): PhaseResult {
  return {
    sent: 0,
    ok: 0,
    errors: 0,
    elapsedMs: 0,
    serverCpuMicros: 0,
    latenciesMs: [],
    okIds: [],
    accepted: 0,
    errorSamples: [],
  };
}

function record(
  result: PhaseResult,
  delivery: SignedDelivery,
  outcome: number | string,
  since: number,
): void {
  if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
    result.ok++;
    result.latenciesMs.push(performance.now() - since);
    result.okIds.push(delivery.id);
    if (outcome === 202) result.accepted++;
    return;
  }
  result.errors++;
  if (result.errorSamples.length < 5) result.errorSamples.push(String(outcome));
}

/**
 * Open loop: delivery `i` is due at `i / rate` seconds and is sent then, whatever earlier ones are doing.
 * Latency counts from the due time, so a server that falls behind shows it (no coordinated omission).
 */
export async function runFixedRate(
  port: number,
  deliveries: SignedDelivery[],
  options: { rate: number },
): Promise<PhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const result = newResult();
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const intervalMs = 1000 / options.rate;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < deliveries.length && start + next * intervalMs <= now) {
        const delivery = deliveries[next] as SignedDelivery;
        const due = start + next * intervalMs;
        result.sent++;
        inFlight.push(post(agent, port, delivery).then((outcome) => record(result, delivery, outcome, due)));
        next++;
      }
      if (next >= deliveries.length) return resolve();
      setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  result.elapsedMs = performance.now() - start;
  agent.destroy();
  return result;
}

/**
 * Closed loop: `concurrency` deliveries in flight at all times for `seconds`, each sent as soon as one is
 * answered. Stops early when `deliveries` run out, unless `reuse` allows cycling through them.
 */
export async function runFullSpeed(
  port: number,
  deliveries: SignedDelivery[],
  options: { concurrency: number; seconds: number; reuse: boolean },
): Promise<PhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result = newResult();
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline && (options.reuse || next < deliveries.length)) {
      const delivery = deliveries[next % deliveries.length] as SignedDelivery;
      next++;
      result.sent++;
      const sentAt = performance.now();
      record(result, delivery, await post(agent, port, delivery), sentAt);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.elapsedMs = performance.now() - start;
  agent.destroy();
  return result;
}
