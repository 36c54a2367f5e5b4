/**
 * Exponential moving average with TA-Lib's conventions: k = 2/(n+1), the first value is the SMA of
 * the first n inputs (summed in order, then divided), then prev + k·(x − prev) written in TA-Lib's
 * order of operations, ((x − prev)·k) + prev, so results are bit-identical to TA-Lib 0.6.
 */

@unmanaged
export class Ema {
  value: f64;
  /** Running sum of the first `period` inputs. */
  seed: f64;
}

export const EMA_BYTES: usize = offsetof<Ema>();

/** TA-Lib's PER_TO_K. */
// @ts-ignore: decorator
@inline export function emaK(period: i32): f64 {
  return 2.0 / <f64>(period + 1);
}

/**
 * One smoothing step once the EMA has its first value: the only formula after warm-up, shared by
 * emaPush and the steady-state path in indicators.ts so that both give the same bits.
 */
// @ts-ignore: decorator
@inline export function emaStep(previous: f64, x: f64, period: i32): f64 {
  return ((x - previous) * emaK(period)) + previous;
}

/**
 * Feeds input number `j` (0-based, counted from this EMA's first input; negative inputs are before
 * it starts and are ignored). Returns the EMA, or NaN before input period − 1.
 */
// @ts-ignore: decorator
@inline export function emaPush(e: Ema, x: f64, j: i64, period: i32): f64 {
  if (j < 0) return NaN;
  const last = <i64>(period - 1);
  if (j < last) {
    e.seed += x;
    return NaN;
  }
  if (j == last) {
    e.seed += x;
    e.value = e.seed / <f64>period;
  } else {
    e.value = emaStep(e.value, x, period);
  }
  return e.value;
}
