import v8 from 'node:v8';

/**
 * Node flags every launcher of the server passes (bin/glimpse.js, `npm start`, `npm run dev`): a 16 MB
 * semi-space instead of the up to 64 MB V8 picks for a large heap limit, and WebAssembly compiled by the
 * baseline compiler only, so V8 never optimises the embedded database's 9 MB module (its optimising
 * compiler took 500 MB for a second after every start). V8 reads both only at startup, so they cannot be
 * set from `serve`. See docs/decisions/0011-memory-of-a-busy-server.md and 0016-embedded-database-memory.md.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=16', '--liftoff-only'] as const;

/** Old-generation growth after a full collection: half of what survived, where V8 allows up to four times. */
const HEAP_GROWING_PERCENT = 50;

/**
 * Makes V8 collect the old generation once it has grown by half since the last full collection. This is
 * not a limit: the heap still grows to V8's maximum when that much is live. A `--heap-growing-percent`
 * the operator passed to node is kept.
 */
export function boundServerHeapGrowth(): void {
  if (process.execArgv.some((flag) => flag.startsWith('--heap-growing-percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
