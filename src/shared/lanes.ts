/**
 * Shared tables between the main thread and the compute workers, besides the rings:
 *
 * - the symbol table: per symbol id, the validation limits main wrote when the EA announced the
 *   symbol (written before any tick of that symbol is published, so the ring's publish orders it);
 * - per-lane statistics: counters a compute worker owns and main reads for status and metrics.
 *   Plain Float64 stores (one writer each); readers see a recent snapshot, exact once the worker
 *   has stopped.
 */
import { AGE_BUCKETS } from './age-histogram.js';
import { REASON_COUNT } from './ring-layout.js';

/** Symbol ids are 0..MAX_SYMBOLS-1 (the WASM engine's static state has room for this many). */
export const MAX_SYMBOLS = 256;

export const SYM_POINT = 0;
export const SYM_MAX_SPREAD_POINTS = 1;
export const SYM_STALE_MS = 2;
export const SYM_FUTURE_TOLERANCE_MS = 3;
export const SYM_SPIKE_MIN_POINTS = 4;
export const SYM_SPIKE_FACTOR = 5;
/** Set to 1 last, once the limits above are written. */
export const SYM_DEFINED = 6;
/**
 * The last per-symbol sequence_number the spool holds durably from an earlier run (0: none): the
 * compute worker numbers the symbol's accepted ticks on from there, so that the backend sees one
 * sequence across bridge restarts. Written before SYM_DEFINED.
 */
export const SYM_TICK_SEQUENCE_BASE = 7;
export const SYM_FIELDS = 8;

export function createSymbolTable(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(MAX_SYMBOLS * SYM_FIELDS * 8));
}

// Lane statistics: a header, then per symbol [accepted, rejected, ...REASON_COUNT reasons].
export const LS_TICKS_IN = 0;
export const LS_ACCEPTED = 1;
export const LS_REJECTED = 2;
export const LS_BATCHES = 3;
export const LS_OUTPUT_WAITS = 4; // times the worker waited for space in its output ring
export const LS_HEAP_PEAK = 5; // the compute worker's peak V8 heap, resident bytes (memory-peak.ts)
export const LS_EXTERNAL_PEAK = 6; // and its isolate's peak external memory, bytes
/** AGE_BUCKETS counts: the age of each batch's oldest tick when the compute worker takes it (age-histogram.ts). */
export const LS_PICKUP_AGE = 8;
export const LS_HEADER = LS_PICKUP_AGE + AGE_BUCKETS;
export const LS_SYM_ACCEPTED = 0;
export const LS_SYM_REJECTED = 1;
export const LS_SYM_REASON0 = 2;
export const LS_SYM_FIELDS = 2 + REASON_COUNT;

export function createLaneStats(): Float64Array {
  return new Float64Array(new SharedArrayBuffer((LS_HEADER + MAX_SYMBOLS * LS_SYM_FIELDS) * 8));
}

// Transport statistics (one writer: the transport worker).
export const TS_BATCHES_SENT = 0;
export const TS_BATCHES_ACKED = 1;
export const TS_TICKS_SENT = 2;
export const TS_TICKS_ACKED = 3;
export const TS_BYTES_SENT = 4;
export const TS_UNACKED_BATCHES = 5;
export const TS_CONNECTED = 6; // 1 while a backend link is open
export const TS_ENDPOINT_INDEX = 7;
export const TS_RECONNECTS = 8;
export const TS_LAST_ACKED_SEQ = 9;
export const TS_PENDING_TICKS = 10; // drained from the rings, not yet in a sealed batch
// Endpoints and liveness (src/workers/link-monitor.ts).
export const TS_FAILOVERS = 11; // links that opened on another endpoint than the one lost
export const TS_FAILBACKS = 12; // clean switches from a backup back to the primary
export const TS_LAST_FAILOVER_MS = 13; // loss of the link to the first ack on the next endpoint
export const TS_LONGEST_FAILOVER_MS = 14;
export const TS_LINK_TIMEOUTS = 15; // links declared dead because nothing arrived for linkTimeoutMs
export const TS_LINK_DOWN_SINCE = 16; // Date.now() when the link was lost; 0 while open
export const TS_HEAP_PEAK = 17; // the transport worker's peak V8 heap, resident bytes (memory-peak.ts)
export const TS_EXTERNAL_PEAK = 18; // and its isolate's peak external memory, bytes
// The durable spool (src/workers/spool/disk-spool.ts).
export const TS_SPOOL_BYTES = 20; // unacked bytes in the spool
export const TS_SPOOL_BATCHES = 21; // unacked batches in the spool
export const TS_SPOOL_MAX_BYTES = 22; // most unacked bytes seen
export const TS_REPLAYED_BATCHES = 23; // stored batches sent again (after a reconnect or a restart)
export const TS_SPOOL_CORRUPT_RECORDS = 24; // torn or corrupt records found at start, never replayed
export const TS_SPOOL_DROPPED_BATCHES = 25; // unacked batches deleted by overflow policy drop-oldest
export const TS_SPOOL_DROPPED_TICKS = 26;
export const TS_SPOOL_WRITE_ERRORS = 27; // failed writes (full disk and others)
export const TS_SPOOL_FAILING = 28; // 1 while writes fail and batches are held in memory
export const TS_SPOOL_DISK_BYTES = 29; // bytes of the segment files
export const TS_SPOOL_RECOVERED_BATCHES = 30; // unacked batches found on disk at start
/** AGE_BUCKETS counts each (age-histogram.ts): the age of the oldest tick the transport takes from a ring at once, */
export const TS_PICKUP_AGE = 32;
/** and of a batch's oldest tick when the batch goes to the socket. */
export const TS_SENT_AGE = TS_PICKUP_AGE + AGE_BUCKETS;
export const TS_FIELDS = TS_SENT_AGE + AGE_BUCKETS;

export function createTransportStats(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(TS_FIELDS * 8));
}

/**
 * Symbol names by id, for the transport (which sees only ids in its rings). Fixed 32-byte UTF-8
 * slots, length-prefixed; written by main before any tick of the symbol is published.
 */
export const SYMBOL_NAME_BYTES = 32;

export function createSymbolNames(): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(MAX_SYMBOLS * SYMBOL_NAME_BYTES));
}

export function writeSymbolName(names: Uint8Array, id: number, name: string): void {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > SYMBOL_NAME_BYTES - 1) throw new RangeError(`symbol name "${name}" is longer than ${SYMBOL_NAME_BYTES - 1} bytes`);
  const base = id * SYMBOL_NAME_BYTES;
  names.set(bytes, base + 1);
  Atomics.store(names, base, bytes.length);
}

export function readSymbolName(names: Uint8Array, id: number): string {
  const base = id * SYMBOL_NAME_BYTES;
  const len = Atomics.load(names, base);
  // TextDecoder refuses views on shared memory: copy the few bytes first.
  return new TextDecoder().decode(names.slice(base + 1, base + 1 + len));
}
