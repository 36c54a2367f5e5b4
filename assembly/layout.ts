/**
 * The engine's static memory map: batch columns that the JS side reads and writes through typed
 * array views. Everything is reserved at compile time with `memory.data`, nothing is allocated at
 * run time and memory never grows (asconfig.json: initialMemory = maximumMemory), so views built
 * once stay valid.
 *
 *   input columns   IN_TIME_MSC … IN_PRICE (f64), IN_SYMBOL, IN_FLAGS (i32)   BATCH_CAPACITY rows
 *   output columns  OUT_MASK, OUT_QUALITY (i32), OUT_SEQ (f64), OUT_IND + k·COLUMN_F64_BYTES (f64)
 *   symbol blocks   see symbols.ts
 */

/** Rows per batch call. */
export const BATCH_CAPACITY: i32 = 4096;
/** Indicator outputs per row, in the order of INDICATOR_NAMES (src/shared/ring-layout.ts). */
export const INDICATOR_COUNT: i32 = 13;

/** Bytes of one f64 column; also the distance between consecutive indicator columns. */
export const COLUMN_F64_BYTES: usize = <usize>BATCH_CAPACITY << 3;
const COLUMN_I32_BYTES: i32 = BATCH_CAPACITY << 2;
const F64_COLUMN: i32 = BATCH_CAPACITY << 3;

export const IN_TIME_MSC: usize = memory.data(F64_COLUMN, 64);
export const IN_BID: usize = memory.data(F64_COLUMN, 64);
export const IN_ASK: usize = memory.data(F64_COLUMN, 64);
export const IN_LAST: usize = memory.data(F64_COLUMN, 64);
export const IN_VOLUME: usize = memory.data(F64_COLUMN, 64);
export const IN_VOLUME_REAL: usize = memory.data(F64_COLUMN, 64);
export const IN_CAPTURED_MS: usize = memory.data(F64_COLUMN, 64);
/** Plain price series for the indicators-only batch entry point (pushPrices). */
export const IN_PRICE: usize = memory.data(F64_COLUMN, 64);
export const IN_SYMBOL: usize = memory.data(COLUMN_I32_BYTES, 64);
export const IN_FLAGS: usize = memory.data(COLUMN_I32_BYTES, 64);

export const OUT_MASK: usize = memory.data(COLUMN_I32_BYTES, 64);
export const OUT_QUALITY: usize = memory.data(COLUMN_I32_BYTES, 64);
export const OUT_SEQ: usize = memory.data(F64_COLUMN, 64);
/** First of INDICATOR_COUNT consecutive f64 columns. */
export const OUT_IND: usize = memory.data(F64_COLUMN * INDICATOR_COUNT, 64);

/** Address of indicator column `k` at `row`. */
// @ts-ignore: decorator
@inline export function indAt(k: i32, row: i32): usize {
  return OUT_IND + <usize>k * COLUMN_F64_BYTES + (<usize>row << 3);
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
/** First indicator column; column k starts BATCH_CAPACITY·8·k bytes later. */
export function outIndPtr(): usize { return OUT_IND; }
/** First byte past the static data; the loader checks it fits the fixed memory. */
export function staticEnd(): usize { return __heap_base; }
