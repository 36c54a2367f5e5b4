/**
 * Layout of the single-producer single-consumer tick rings (see ring.ts).
 *
 * A ring is one SharedArrayBuffer: a 256-byte header of Int32 slots, then struct-of-arrays columns
 * (all Float64 columns first, then all Int32 columns), each `capacity` entries long. The write
 * and read sequences sit on different 64-byte cache lines so that producer and consumer do not
 * false-share.
 */
export const RING_HEADER_BYTES = 256;
/** Int32 index of the producer's published sequence (free-running, wraps at 2^32). */
export const HDR_WRITE_SEQ = 0;
/** Int32 index of the consumer's released sequence. */
export const HDR_READ_SEQ = 16;
/** Int32 index of the closed flag: 1 once the producer will publish nothing more. */
export const HDR_CLOSED = 32;
/** Int32 index of the producer's "waiting for space" flag, so that release notifies only when someone waits. */
export const HDR_PRODUCER_WAITING = 48;
/**
 * Int32 index of the consumer's "waiting for data" flag, so that publish notifies only when the
 * consumer sleeps: Atomics.notify takes V8's process-wide futex lock, and was a fifth of the main
 * thread's time at 1M ticks/s with a notify per published frame.
 */
export const HDR_CONSUMER_WAITING = 56;

export interface RingLayout {
  readonly f64Columns: number;
  readonly i32Columns: number;
}

// Input ring: main thread (EA link ingest) -> compute worker of one lane. One entry per raw tick.
export const IN_F64_TIME_MSC = 0; // UTC ms (the broker's server offset already removed)
export const IN_F64_BID = 1;
export const IN_F64_ASK = 2;
export const IN_F64_LAST = 3;
export const IN_F64_VOLUME = 4;
export const IN_F64_VOLUME_REAL = 5;
export const IN_F64_RECV_MS = 6; // bridge receipt, UTC ms with sub-ms fraction
export const IN_F64_CAPTURED_MS = 7; // when the tick was captured (receipt, or capture time of a backfilled frame)
/**
 * The symbol's resume cursor just after this tick (docs/protocol.md, "Resume cursors"): server
 * clock time_msc and count_at_msc. Carried to the output ring for accepted ticks, so that the
 * transport can store, with each batch, where the EA resumes once that batch is durable.
 */
export const IN_F64_CURSOR_MSC = 8;
export const IN_F64_CURSOR_COUNT = 9;
export const IN_I32_SYMBOL = 0;
export const IN_I32_FLAGS = 1;
export const INPUT_RING_LAYOUT: RingLayout = { f64Columns: 10, i32Columns: 2 };

// Output ring: compute worker -> transport worker. One entry per accepted tick, with indicators.
export const OUT_F64_TIME_MSC = 0;
export const OUT_F64_BID = 1;
export const OUT_F64_ASK = 2;
export const OUT_F64_LAST = 3;
export const OUT_F64_VOLUME = 4;
export const OUT_F64_VOLUME_REAL = 5;
export const OUT_F64_RECV_MS = 6;
export const OUT_F64_SEQ = 7; // per-symbol sequence of accepted ticks, 1-based
/** First of INDICATOR_COUNT indicator columns, in INDICATOR_NAMES order; NaN = no value yet. */
export const OUT_F64_IND0 = 8;
export const OUT_I32_SYMBOL = 0;
export const OUT_I32_FLAGS = 1;
export const OUT_I32_QUALITY = 2;

/** Indicator values in the order of the `indicators` CLI columns and the WASM output columns. */
export const INDICATOR_NAMES = [
  'sma20', 'sma50', 'ema12', 'ema26', 'ema20', 'ema50', 'rsi14',
  'macd', 'macd_signal', 'macd_hist', 'bb_upper', 'bb_middle', 'bb_lower',
] as const;
export const INDICATOR_COUNT = INDICATOR_NAMES.length;
/** The input's IN_F64_CURSOR_MSC / IN_F64_CURSOR_COUNT of the tick, after the indicator columns. */
export const OUT_F64_CURSOR_MSC = OUT_F64_IND0 + INDICATOR_COUNT;
export const OUT_F64_CURSOR_COUNT = OUT_F64_CURSOR_MSC + 1;
export const OUTPUT_RING_LAYOUT: RingLayout = { f64Columns: OUT_F64_CURSOR_COUNT + 1, i32Columns: 3 };

/** Validation reason bits (mirrored in assembly/validation.ts; a unit test keeps them equal). */
export const REASON_PRICE_INVALID = 1 << 0; // bid/ask not finite or not > 0
export const REASON_CROSSED = 1 << 1; // ask < bid
export const REASON_SPREAD = 1 << 2; // spread beyond the symbol's limit in points
export const REASON_STALE = 1 << 3; // older than staleMs against the capture clock
export const REASON_FUTURE = 1 << 4; // ahead of the capture clock beyond futureToleranceMs
export const REASON_BACKWARDS = 1 << 5; // time_msc earlier than the symbol's last accepted tick
export const REASON_DUPLICATE = 1 << 6; // identical to the symbol's last accepted tick
export const REASON_SPIKE = 1 << 7; // mid jump far beyond recent volatility
export const REASON_NAMES = [
  'price_invalid', 'crossed', 'spread', 'stale', 'future', 'time_backwards', 'duplicate', 'spike',
] as const;
export const REASON_COUNT = REASON_NAMES.length;
