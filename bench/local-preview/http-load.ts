import net from 'node:net';

/** What one load run did, with a latency (ms) for every 2xx response. */
export interface LoadResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  latenciesMs: number[];
}

interface Target {
  port: number;
  host: string;
  connections: number;
  seconds: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');
/** Every run stops after this many requests, whatever its duration. */
const MAX_REQUESTS = 2_000_000;
/** A connection stuck on an unanswered request is cut off this long after the run's end. */
const GRACE_MS = 5_000;

/**
 * Closed loop: `connections` keep-alive connections, each sending `GET /` with `host` as soon as the
 * previous response is complete, for `seconds`. Requests are pre-encoded and responses parsed just enough
 * to find their end (like wrk), so the load generator takes little of the CPU the servers need.
 */
export async function runClosedLoop(target: Target): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, errors: 0, elapsedMs: 0, latenciesMs: [] };
  const start = performance.now();
  const deadline = start + target.seconds * 1000;
  const send = (connection: Connection) => {
    if (performance.now() >= deadline || result.requests >= MAX_REQUESTS) {
      connection.socket.end();
      return;
    }
    result.requests++;
    connection.send(performance.now());
  };
  const connections = Array.from({ length: target.connections }, () =>
    openConnection(target, result, (connection) => send(connection)),
  );
  for (const connection of connections) connection.socket.once('connect', () => send(connection));
  await finish(connections, target.seconds);
  result.elapsedMs = performance.now() - start;
  return result;
}

/**
 * Open loop: request `i` is due at `i / rate` seconds and goes out on the first idle connection. Latency
 * counts from sending, not from the due time: node's timers fire up to a millisecond or so late, which would
 * swamp what a proxy hop adds. Keep the rate low enough that requests never wait for a connection.
 */
export async function runFixedRate(target: Target & { rate: number }): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, errors: 0, elapsedMs: 0, latenciesMs: [] };
  const count = Math.min(MAX_REQUESTS, Math.floor(target.rate * target.seconds));
  const intervalMs = 1000 / target.rate;
  const idle: Connection[] = [];
  const due: number[] = [];
  let next = 0;
  const dispatch = () => {
    while (idle.length > 0 && due.length > 0) {
      result.requests++;
      due.shift();
      (idle.pop() as Connection).send(performance.now());
    }
  };
  const connections = Array.from({ length: target.connections }, () =>
    openConnection(target, result, (connection) => {
      idle.push(connection);
      dispatch();
    }),
  );
  await Promise.all(
    connections.map(
      ({ socket }) =>
        new Promise((resolve) => {
          socket.once('connect', resolve);
          socket.once('close', resolve);
        }),
    ),
  );
  idle.push(...connections.filter(({ socket }) => !socket.destroyed));
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < count && start + next * intervalMs <= now) due.push(start + next++ * intervalMs);
      dispatch();
      if (next >= count) return resolve();
      setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    tick();
  });
  // Wait for the answers still due, then close.
  const drained = performance.now() + GRACE_MS;
  while ((due.length > 0 || idle.length < connections.length) && performance.now() < drained)
    await new Promise((resolve) => setTimeout(resolve, 5));
  for (const connection of connections) connection.socket.end();
  await finish(connections, 0);
  result.elapsedMs = performance.now() - start;
  return result;
}

interface Connection {
  socket: net.Socket;
  /** Sends one request; its latency counts from `since`. */
  send(since: number): void;
}

/** One keep-alive connection; `onAnswered` is called after each complete response. */
function openConnection(
  target: Target,
  result: LoadResult,
  onAnswered: (connection: Connection) => void,
): Connection {
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: glimpse-bench\r\n\r\n`);
  const socket = net.connect(target.port, '127.0.0.1');
  socket.setNoDelay(true);
  let buffered: Buffer = Buffer.alloc(0);
  let since = 0;
  const connection: Connection = {
    socket,
    send(at) {
      since = at;
      socket.write(request);
    },
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      const length = responseLength(buffered);
      if (length === undefined) return;
      const status = Number(buffered.toString('latin1', 9, 12));
      if (status >= 200 && status < 300) result.latenciesMs.push(performance.now() - since);
      else result.errors++;
      buffered = buffered.subarray(length);
      onAnswered(connection);
    }
  });
  socket.on('error', () => {
    result.errors++;
    socket.destroy();
  });
  return connection;
}

/** Resolves once every connection has closed, destroying any still open `GRACE_MS` after `seconds`. */
async function finish(connections: Connection[], seconds: number): Promise<void> {
  const cutOff = setTimeout(
    () => {
      for (const { socket } of connections) socket.destroy();
    },
    seconds * 1000 + GRACE_MS,
  );
  await Promise.all(
    connections.map(({ socket }) =>
      socket.closed ? undefined : new Promise((resolve) => socket.once('close', resolve)),
    ),
  );
  clearTimeout(cutOff);
}

/** The length of the complete response at the start of `data`, or undefined while it is incomplete. */
function responseLength(data: Buffer): number | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headerEnd).toLowerCase();
  const bodyStart = headerEnd + HEADER_END.length;
  const match = /\r\ncontent-length: *(\d+)/.exec(head);
  if (match !== null) {
    const end = bodyStart + Number(match[1]);
    return data.length >= end ? end : undefined;
  }
  if (head.includes('\r\ntransfer-encoding: chunked')) {
    const end = data.indexOf(CHUNKED_END, bodyStart - 2);
    return end < 0 ? undefined : end + CHUNKED_END.length;
  }
  return bodyStart;
}
