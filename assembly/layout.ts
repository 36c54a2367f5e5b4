/**
 * The engine's static memory map: batch columns that the JS side reads and writes through typed
 * array views. Everything is reserved at compile time with `memory.data`, nothing is allocated at
 * run time and memory never grows (asconfig.json: initialMemory = maximumMemory), so views built
 * once stay valid.
 *
 *   one block of COLUMN_COUNT slots, COLUMN_STRIDE bytes apart, BATCH_CAPACITY rows each:
 *   input columns   IN_TIME_MSC … IN_PRICE (f64), IN_SYMBOL, IN_FLAGS (i32)
 *   output columns  OUT_MASK, OUT_QUALITY (i32), OUT_SEQ (f64), OUT_IND + k·COLUMN_STRIDE (f64)
 *   scratch column  MID (f64): accepted mids, from processBatch's validation pass to its indicator pass
 *   symbol blocks   see symbols.ts
 *
 * Why the stride is a column plus COLUMN_STAGGER bytes: with columns exactly 32 KiB apart, row r
 * of every column lands in the same set of the 8-way L1 data cache (and the same 4 KiB alias for
 * store-to-load checks), and the ~26 lines that one tick touches evict each other: 13 f64 stores
 * to row 0 of the indicator columns took 30-50 ns, staggered by 128 bytes 8 ns (a scratch module
 * on this machine), and a whole tick of processBatch went from ~62 to ~48 ns.
 */

/** Rows per batch call. */
export const BATCH_CAPACITY: i32 = 4096;
/** Indicator outputs per row, in the order of INDICATOR_NAMES (src/shared/ring-layout.ts). */
export const INDICATOR_COUNT: i32 = 13;

/** Extra bytes between columns, so that consecutive columns start 2 cache lines apart mod 4 KiB. */
const COLUMN_STAGGER: i32 = 128;
/** Bytes from one column to the next (every column has room for BATCH_CAPACITY f64 values). */
export const COLUMN_STRIDE: i32 = (BATCH_CAPACITY << 3) + COLUMN_STAGGER;
/** Input columns, 3 output columns, the indicator columns, MID; ≤ 32 keeps every stagger distinct. */
const COLUMN_COUNT: i32 = 14 + INDICATOR_COUNT;
const COLUMNS: usize = memory.data(COLUMN_STRIDE * COLUMN_COUNT, 64);

export const IN_TIME_MSC: usize = COLUMNS + 0 * <usize>COLUMN_STRIDE;
export const IN_BID: usize = COLUMNS + 1 * <usize>COLUMN_STRIDE;
export const IN_ASK: usize = COLUMNS + 2 * <usize>COLUMN_STRIDE;
export const IN_LAST: usize = COLUMNS + 3 * <usize>COLUMN_STRIDE;
export const IN_VOLUME: usize = COLUMNS + 4 * <usize>COLUMN_STRIDE;
export const IN_VOLUME_REAL: usize = COLUMNS + 5 * <usize>COLUMN_STRIDE;
export const IN_CAPTURED_MS: usize = COLUMNS + 6 * <usize>COLUMN_STRIDE;
/** Plain price series for the indicators-only batch entry point (pushPrices). */
export const IN_PRICE: usize = COLUMNS + 7 * <usize>COLUMN_STRIDE;
export const IN_SYMBOL: usize = COLUMNS + 8 * <usize>COLUMN_STRIDE;
export const IN_FLAGS: usize = COLUMNS + 9 * <usize>COLUMN_STRIDE;

export const OUT_MASK: usize = COLUMNS + 10 * <usize>COLUMN_STRIDE;
export const OUT_QUALITY: usize = COLUMNS + 11 * <usize>COLUMN_STRIDE;
export const OUT_SEQ: usize = COLUMNS + 12 * <usize>COLUMN_STRIDE;
/** First of INDICATOR_COUNT f64 columns, COLUMN_STRIDE bytes apart. */
export const OUT_IND: usize = COLUMNS + 13 * <usize>COLUMN_STRIDE;
/** Internal: not exported to JS. */
export const MID: usize = OUT_IND + <usize>(INDICATOR_COUNT * COLUMN_STRIDE);

// Indicator column numbers, in INDICATOR_NAMES order (indicators.ts names them).
export const IND_SMA20: i32 = 0;
export const IND_SMA50: i32 = 1;
export const IND_EMA12: i32 = 2;
export const IND_EMA26: i32 = 3;
export const IND_EMA20: i32 = 4;
export const IND_EMA50: i32 = 5;
export const IND_RSI14: i32 = 6;
export const IND_MACD: i32 = 7;
export const IND_MACD_SIGNAL: i32 = 8;
export const IND_MACD_HIST: i32 = 9;
export const IND_BB_UPPER: i32 = 10;
export const IND_BB_MIDDLE: i32 = 11;
export const IND_BB_LOWER: i32 = 12;

/** Address of indicator column `k` at `row`. */
// @ts-ignore: decorator
@inline export function indAt(k: i32, row: i32): usize {
  return OUT_IND + <usize>(k * COLUMN_STRIDE) + (<usize>row << 3);
}

// Addresses for the JS loader's views.
export function inTimeMscPtr(): usize { return IN_TIME_MSC; }
export function inBidPtr(): usize { return IN_BID; }
export function inAskPtr(): usize { return IN_ASK; }
export function inLastPtr(): usize { return IN_LAST; }
export function inVolumePtr(): usize { return IN_VOLUME; }
export function inVolumeRealPtr(): usize { return IN_VOLUME_REAL; }
export function inCapturedMsPtr(): usize { return IN_CAPTURED_MS; }
export function inPricePtr(): usize { return IN_PRICE; }
export function inSymbolPtr(): usize { return IN_SYMBOL; }
export function inFlagsPtr(): usize { return IN_FLAGS; }
export function outMaskPtr(): usize { return OUT_MASK; }
export function outQualityPtr(): usize { return OUT_QUALITY; }
export function outSeqPtr(): usize { return OUT_SEQ; }
/** First indicator column; column k starts k·outIndStride() bytes later. */
export function outIndPtr(): usize { return OUT_IND; }
export function outIndStride(): usize { return <usize>COLUMN_STRIDE; }
/** First byte past the static data; the loader checks it fits the fixed memory. */
export function staticEnd(): usize { return __heap_base; }
