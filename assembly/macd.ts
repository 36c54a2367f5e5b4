/**
 * MACD(12, 26, 9) the way TA-Lib computes it. The slow EMA is the plain EMA(26); the fast EMA is
 * aligned to it: its seed is the SMA of the 12 prices ending where the slow EMA starts (prices
 * 14..25), not of the first 12. The line is fast − slow from price 25; the signal is an EMA(9) of
 * the line seeded with the SMA of its first 9 values; TA-Lib reports all three from price 33.
 */
import { Ema, EMA_BYTES, emaPush, emaStepK, K_12_26, K_9 } from './ema';
import { f64At } from './constants';
import { COLUMN_STRIDE, IND_MACD, IND_MACD_HIST, IND_MACD_SIGNAL } from './layout';

export const MACD_FAST: i32 = 12;
export const MACD_SLOW: i32 = 26;
export const MACD_SIGNAL: i32 = 9;
/** Price index at which the slow EMA, and so the line, has its first value. */
const LINE_FIRST: i64 = MACD_SLOW - 1;
/** Price index of the fast EMA's first seed input. */
const FAST_FIRST: i64 = MACD_SLOW - MACD_FAST;
/** Price index of the first output (line, signal and histogram together). */
export const MACD_FIRST: i64 = LINE_FIRST + MACD_SIGNAL - 1;

@unmanaged
export class MacdOut {
  line: f64;
  signal: f64;
}

/** Block: [fast Ema][signal Ema][MacdOut]. */
export const MACD_BYTES: usize = 2 * EMA_BYTES + offsetof<MacdOut>();

// @ts-ignore: decorator
@inline function fastEma(block: usize): Ema { return changetype<Ema>(block); }
// @ts-ignore: decorator
@inline function signalEma(block: usize): Ema { return changetype<Ema>(block + EMA_BYTES); }
// @ts-ignore: decorator
@inline export function macdOut(block: usize): MacdOut { return changetype<MacdOut>(block + 2 * EMA_BYTES); }

/**
 * Feeds price number `i`; `slow` is the EMA(26) of the same series at that price (NaN before 25).
 * Leaves line and signal in the block's MacdOut, both NaN before MACD_FIRST.
 */
export function macdPush(block: usize, x: f64, i: i64, slow: f64): void {
  const out = macdOut(block);
  const fast = emaPush(fastEma(block), x, i - FAST_FIRST, MACD_FAST);
  if (i < LINE_FIRST) {
    out.line = NaN;
    out.signal = NaN;
    return;
  }
  const line = fast - slow;
  const signal = emaPush(signalEma(block), line, i - LINE_FIRST, MACD_SIGNAL);
  out.line = i < MACD_FIRST ? NaN : line;
  out.signal = signal;
}

/**
 * After warm-up (i > MACD_FIRST): both EMAs take one step, and line, signal and histogram go to
 * the output columns at `at`. Same bits as macdPush.
 */
// @ts-ignore: decorator
@inline export function macdStep(block: usize, x: f64, slow: f64, at: usize): void {
  const fastState = fastEma(block);
  const signalState = signalEma(block);
  const fast = emaStepK(fastState.value, x, f64At(K_12_26)); // k(MACD_FAST)
  const line = fast - slow;
  const signal = emaStepK(signalState.value, line, f64At(K_9)); // k(MACD_SIGNAL)
  fastState.value = fast;
  signalState.value = signal;
  store<f64>(at, line, IND_MACD * COLUMN_STRIDE);
  store<f64>(at, signal, IND_MACD_SIGNAL * COLUMN_STRIDE);
  store<f64>(at, line - signal, IND_MACD_HIST * COLUMN_STRIDE);
}
