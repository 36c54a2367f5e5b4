/**
 * The 13 indicator outputs of one series (a symbol's accepted mids, or a plain price series),
 * written to the output columns in INDICATOR_NAMES order (src/shared/ring-layout.ts); NaN until
 * each indicator has its first value.
 *
 * Per-series block:  [Series][Window][price ring][EMA 12][EMA 26][EMA 20][EMA 50][MACD][RSI]
 */
import { indAt, INDICATOR_COUNT } from './layout';
import { Ema, EMA_BYTES, emaPush } from './ema';
import { MACD_BYTES, macdOut, macdPush } from './macd';
import { Rsi, rsiPush } from './rsi';
import {
  bandWidth, RING_BYTES, SMA_LONG_FIRST, SMA_SHORT_FIRST, smaLong, smaShort, Window, windowPush,
} from './sma-bollinger';

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
const AT_MACD: usize = AT_EMA + 4 * EMA_BYTES;
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

/** Adds the next price of the series in `block` and writes the 13 outputs at `row`. */
export function pushIndicators(block: usize, x: f64, row: i32): void {
  const series = changetype<Series>(block);
  const i = series.count;
  series.count = i + 1;

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
  store<f64>(indAt(IND_EMA12, row), emaPush(changetype<Ema>(ema), x, i, 12));
  const ema26 = emaPush(changetype<Ema>(ema + EMA_BYTES), x, i, 26);
  store<f64>(indAt(IND_EMA26, row), ema26);
  store<f64>(indAt(IND_EMA20, row), emaPush(changetype<Ema>(ema + 2 * EMA_BYTES), x, i, 20));
  store<f64>(indAt(IND_EMA50, row), emaPush(changetype<Ema>(ema + 3 * EMA_BYTES), x, i, 50));

  store<f64>(indAt(IND_RSI14, row), rsiPush(changetype<Rsi>(block + AT_RSI), x, i));

  const macd = block + AT_MACD;
  macdPush(macd, x, i, ema26);
  const out = macdOut(macd);
  store<f64>(indAt(IND_MACD, row), out.line);
  store<f64>(indAt(IND_MACD_SIGNAL, row), out.signal);
  store<f64>(indAt(IND_MACD_HIST, row), out.line - out.signal);
}
