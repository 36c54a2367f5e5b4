/**
 * The 13 indicator outputs of one series (a symbol's accepted mids, or a plain price series),
 * written to the output columns in INDICATOR_NAMES order (src/shared/ring-layout.ts); NaN until
 * each indicator has its first value.
 *
 * Per-series block:  [Series][Window][price ring][EMA 12|26 pair][EMA 20|50 pair][MACD][RSI]
 */
import {
  COLUMN_STRIDE, IND_BB_LOWER, IND_BB_MIDDLE, IND_BB_UPPER, IND_EMA12, IND_EMA20, IND_EMA26, IND_EMA50, IND_MACD,
  IND_MACD_HIST, IND_MACD_SIGNAL, IND_RSI14, IND_SMA20, IND_SMA50, indAt, INDICATOR_COUNT, OUT_IND,
} from './layout';
import { EMA_PAIR_BYTES, emaPairPush, emaPairStep, K_12_26, K_20_50 } from './ema';
import { v128At } from './constants';
import { MACD_BYTES, macdOut, macdPush, macdStep } from './macd';
import { Rsi, rsiPush, rsiStep } from './rsi';
import {
  bandWidth, RING_BYTES, SMA_LONG_FIRST, SMA_SHORT_FIRST, smaLong, smaShort, Window, windowPush, windowStep,
} from './sma-bollinger';

export function indicatorName(k: i32): string {
  switch (k) {
    case IND_SMA20: return 'sma20';
    case IND_SMA50: return 'sma50';
    case IND_EMA12: return 'ema12';
    case IND_EMA26: return 'ema26';
    case IND_EMA20: return 'ema20';
    case IND_EMA50: return 'ema50';
    case IND_RSI14: return 'rsi14';
    case IND_MACD: return 'macd';
    case IND_MACD_SIGNAL: return 'macd_signal';
    case IND_MACD_HIST: return 'macd_hist';
    case IND_BB_UPPER: return 'bb_upper';
    case IND_BB_MIDDLE: return 'bb_middle';
    case IND_BB_LOWER: return 'bb_lower';
    default: return '';
  }
}

@unmanaged
class Series {
  /** Prices pushed since the last reset. */
  count: i64;
  pad: i64;
}

const AT_WINDOW: usize = offsetof<Series>();
const AT_RING: usize = AT_WINDOW + ((offsetof<Window>() + 15) & ~15);
const AT_EMA: usize = AT_RING + RING_BYTES;
const AT_MACD: usize = AT_EMA + 2 * EMA_PAIR_BYTES;
const AT_RSI: usize = AT_MACD + MACD_BYTES;
export const SERIES_BYTES: usize = (AT_RSI + offsetof<Rsi>() + 63) & ~63;

/** Forgets the series: the next price is price 0 again. */
export function resetSeries(block: usize): void {
  memory.fill(block, 0, SERIES_BYTES);
}

/** Writes NaN to every indicator column at `row`. */
export function writeNoIndicators(row: i32): void {
  for (let k = 0; k < INDICATOR_COUNT; k++) store<f64>(indAt(k, row), NaN);
}

/**
 * Price index from which every window is full and every indicator is past its seed (the longest
 * warm-up is SMA(50)/EMA(50); MACD's is 33, RSI's 14): from here on pushIndicators takes the
 * steady path, with no warm-up branch left.
 */
const STEADY_FIRST: i64 = SMA_LONG_FIRST + 1;

/**
 * Adds the next price of the series in `block` and writes the 13 outputs at `row`. Inlined into
 * each entry point, with everything it calls on the steady path: the wasm calls per row (row,
 * validation, indicators, window) cost ~15 ns a tick on bench/indicators.bench.ts's stream
 * (scratch builds in one run, 94 → 79 ns before the other changes).
 */
// @ts-ignore: decorator
@inline export function pushIndicators(block: usize, x: f64, row: i32): void {
  const series = changetype<Series>(block);
  const i = series.count;
  series.count = i + 1;
  if (i >= STEADY_FIRST) pushSteady(block, x, i, row);
  else pushWarming(block, x, i, row);
}

/** Every indicator past warm-up: the same formulas as pushWarming, without its branches. */
// @ts-ignore: decorator
@inline function pushSteady(block: usize, x: f64, i: i64, row: i32): void {
  // One base address; the 13 columns are constant offsets from it (wasm store immediates).
  const at = OUT_IND + (<usize>row << 3);

  windowStep(changetype<Window>(block + AT_WINDOW), block + AT_RING, x, i, at);

  // The four EMAs in two f64x2 steps: ~0.3 ns a tick less than four scalar steps (scratch builds on
  // bench/indicators.bench.ts's stream, time inside processBatch).
  const ema = block + AT_EMA;
  const fastSlow = emaPairStep(ema, x, v128At(K_12_26));
  const mid = emaPairStep(ema + EMA_PAIR_BYTES, x, v128At(K_20_50));
  // Lanes extracted and stored as f64: V8 gives v128.store64_lane no address offset (an lea each).
  const ema26 = f64x2.extract_lane(fastSlow, 1);
  store<f64>(at, f64x2.extract_lane(fastSlow, 0), IND_EMA12 * COLUMN_STRIDE);
  store<f64>(at, ema26, IND_EMA26 * COLUMN_STRIDE);
  store<f64>(at, f64x2.extract_lane(mid, 0), IND_EMA20 * COLUMN_STRIDE);
  store<f64>(at, f64x2.extract_lane(mid, 1), IND_EMA50 * COLUMN_STRIDE);

  store<f64>(at, rsiStep(changetype<Rsi>(block + AT_RSI), x), IND_RSI14 * COLUMN_STRIDE);

  macdStep(block + AT_MACD, x, ema26, at);
}

/** The first STEADY_FIRST prices: each indicator with its own warm-up. Not inlined (cold). */
function pushWarming(block: usize, x: f64, i: i64, row: i32): void {
  const w = changetype<Window>(block + AT_WINDOW);
  windowPush(w, block + AT_RING, x, i);
  const hasShort = i >= SMA_SHORT_FIRST;
  const middle = hasShort ? smaShort(w) : NaN;
  const width = hasShort ? bandWidth(w) : NaN;
  store<f64>(indAt(IND_SMA20, row), middle);
  store<f64>(indAt(IND_SMA50, row), i >= SMA_LONG_FIRST ? smaLong(w) : NaN);
  store<f64>(indAt(IND_BB_UPPER, row), middle + width);
  store<f64>(indAt(IND_BB_MIDDLE, row), middle);
  store<f64>(indAt(IND_BB_LOWER, row), middle - width);

  const ema = block + AT_EMA;
  store<f64>(indAt(IND_EMA12, row), emaPairPush(ema, 0, x, i, 12));
  const ema26 = emaPairPush(ema, 1, x, i, 26);
  store<f64>(indAt(IND_EMA26, row), ema26);
  store<f64>(indAt(IND_EMA20, row), emaPairPush(ema + EMA_PAIR_BYTES, 0, x, i, 20));
  store<f64>(indAt(IND_EMA50, row), emaPairPush(ema + EMA_PAIR_BYTES, 1, x, i, 50));

  store<f64>(indAt(IND_RSI14, row), rsiPush(changetype<Rsi>(block + AT_RSI), x, i));

  const macd = block + AT_MACD;
  macdPush(macd, x, i, ema26);
  const out = macdOut(macd);
  store<f64>(indAt(IND_MACD, row), out.line);
  store<f64>(indAt(IND_MACD_SIGNAL, row), out.signal);
  store<f64>(indAt(IND_MACD_HIST, row), out.line - out.signal);
}
