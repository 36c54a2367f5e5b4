/**
 * RSI(14) with Wilder smoothing as TA-Lib computes it: the first value, at price 14, comes from the
 * means of the first 14 gains and losses; after that each average is multiplied by 13, the new gain
 * or loss added, and the result divided by 14, in that order. When gains plus losses are within
 * 1e-14 of zero (a flat market) the RSI is 0, as TA-Lib returns.
 */

export const RSI_PERIOD: i32 = 14;
const PERIOD: f64 = <f64>RSI_PERIOD;
const PERIOD_LESS_ONE: f64 = <f64>(RSI_PERIOD - 1);
const ZERO_TOLERANCE: f64 = 1e-14;

@unmanaged
export class Rsi {
  previous: f64;
  gain: f64;
  loss: f64;
}

/** Feeds price number `i`; returns the RSI, or NaN before price RSI_PERIOD. */
export function rsiPush(r: Rsi, x: f64, i: i64): f64 {
  if (i == 0) {
    r.previous = x;
    r.gain = 0;
    r.loss = 0;
    return NaN;
  }
  const change = x - r.previous;
  r.previous = x;
  if (i > <i64>RSI_PERIOD) {
    r.gain *= PERIOD_LESS_ONE;
    r.loss *= PERIOD_LESS_ONE;
  }
  if (change < 0) r.loss -= change;
  else r.gain += change;
  if (i < <i64>RSI_PERIOD) return NaN;
  r.gain /= PERIOD;
  r.loss /= PERIOD;
  const total = r.gain + r.loss;
  return -ZERO_TOLERANCE < total && total < ZERO_TOLERANCE ? 0.0 : 100.0 * (r.gain / total);
}
