/**
 * RSI(14) with Wilder smoothing as TA-Lib computes it: the first value, at price 14, comes from the
 * means of the first 14 gains and losses; after that each average is multiplied by 13, the new gain
 * or loss added, and the result divided by 14, in that order. When gains plus losses are within
 * 1e-14 of zero (a flat market) the RSI is 0, as TA-Lib returns.
 *
 * The divisions stay divisions (x / 14 and x · (1/14) differ in the last bit now and then, and the
 * outputs must equal TA-Lib's bit for bit): three per price.
 */
import { f64At } from './constants';

export const RSI_PERIOD: i32 = 14;
// Constants of the per-price path, read from memory (constants.ts says why).
const PERIOD: usize = memory.data<f64>([<f64>RSI_PERIOD]);
const PERIOD_LESS_ONE: usize = memory.data<f64>([<f64>(RSI_PERIOD - 1)]);
const ZERO_TOLERANCE: usize = memory.data<f64>([1e-14]);
const HUNDRED: usize = memory.data<f64>([100.0]);

@unmanaged
export class Rsi {
  previous: f64;
  gain: f64;
  loss: f64;
}

/**
 * 100·gain/(gain + loss), or 0 for a flat market, as TA-Lib writes it (−1e-14 < total < 1e-14).
 * Gains and losses are sums of non-negative parts (or NaN, which fails both tests), so the lower
 * bound always holds and only the upper one is tested: one compare instead of an && that V8
 * turns into two compares, two setcc and a branch on their and.
 */
// @ts-ignore: decorator
@inline function rsiOf(gain: f64, loss: f64): f64 {
  const total = gain + loss;
  return total < f64At(ZERO_TOLERANCE) ? 0.0 : f64At(HUNDRED) * (gain / total);
}

/**
 * After warm-up (i > RSI_PERIOD): one Wilder step and the RSI. Free of branches on the direction
 * of the move, which is a coin flip: V8 compiles a wasm f64 select to a branch, so the move is
 * split into its rising and falling parts with the sign bit as a mask instead (the branch, wrong
 * half the time, cost ~4 ns a tick on bench/indicators.bench.ts's stream). gain·13 + 0 and
 * loss·13 − 0 are exact, so the bits are those of TA-Lib's if/else; a −0 change lands on the
 * falling side, where subtracting −0 is as exact as adding +0.
 */
// @ts-ignore: decorator
@inline export function rsiStep(r: Rsi, x: f64): f64 {
  const change = x - r.previous;
  r.previous = x;
  const bits = reinterpret<i64>(change);
  const falling = bits >> 63; // all ones when the sign bit is set
  const rise = reinterpret<f64>(bits & ~falling);
  const fall = reinterpret<f64>(bits & falling);
  const gain = (r.gain * f64At(PERIOD_LESS_ONE) + rise) / f64At(PERIOD);
  const loss = (r.loss * f64At(PERIOD_LESS_ONE) - fall) / f64At(PERIOD);
  r.gain = gain;
  r.loss = loss;
  return rsiOf(gain, loss);
}

/** Feeds price number `i`; returns the RSI, or NaN before price RSI_PERIOD. */
export function rsiPush(r: Rsi, x: f64, i: i64): f64 {
  if (i > <i64>RSI_PERIOD) return rsiStep(r, x);
  if (i == 0) {
    r.previous = x;
    r.gain = 0;
    r.loss = 0;
    return NaN;
  }
  const change = x - r.previous;
  r.previous = x;
  if (change < 0) r.loss -= change;
  else r.gain += change;
  if (i < <i64>RSI_PERIOD) return NaN;
  r.gain /= f64At(PERIOD);
  r.loss /= f64At(PERIOD);
  return rsiOf(r.gain, r.loss);
}
