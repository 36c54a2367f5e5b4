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
 * The steady steps' factors, read from memory (constants.ts says why): [k(12), k(26)] and
 * [k(20), k(50)] for the f64x2 steps (k(12) is also MACD's fast one), and k(9) for MACD's signal.
 * Each is 2/(n + 1) written out, the same division emaK does.
 */
export const K_12_26: usize = memory.data<f64>([2.0 / 13.0, 2.0 / 27.0], 16);
export const K_20_50: usize = memory.data<f64>([2.0 / 21.0, 2.0 / 51.0], 16);
export const K_9: usize = memory.data<f64>([2.0 / 10.0]);

/**
 * One smoothing step once the EMA has its first value: the only formula after warm-up, shared by
 * emaPush and the steady-state paths so that both give the same bits.
 */
// @ts-ignore: decorator
@inline export function emaStepK(previous: f64, x: f64, k: f64): f64 {
  return ((x - previous) * k) + previous;
}

// @ts-ignore: decorator
@inline export function emaStep(previous: f64, x: f64, period: i32): f64 {
  return emaStepK(previous, x, emaK(period));
}

/**
 * Feeds input number `j` (0-based, counted from this EMA's first input; negative inputs are before
 * it starts and are ignored) to the EMA whose value and seed sum are at `value` and `seed`. Returns
 * the EMA, or NaN before input period − 1.
 */
// @ts-ignore: decorator
@inline export function emaPushAt(value: usize, seed: usize, x: f64, j: i64, period: i32): f64 {
  if (j < 0) return NaN;
  const last = <i64>(period - 1);
  if (j < last) {
    store<f64>(seed, load<f64>(seed) + x);
    return NaN;
  }
  let v: f64;
  if (j == last) {
    const sum = load<f64>(seed) + x;
    store<f64>(seed, sum);
    v = sum / <f64>period;
  } else {
    v = emaStep(load<f64>(value), x, period);
  }
  store<f64>(value, v);
  return v;
}

/** emaPushAt for a standalone Ema. */
// @ts-ignore: decorator
@inline export function emaPush(e: Ema, x: f64, j: i64, period: i32): f64 {
  const at = changetype<usize>(e);
  return emaPushAt(at + offsetof<Ema>('value'), at + offsetof<Ema>('seed'), x, j, period);
}

/**
 * Two EMAs of the same input side by side (values, then seeds), so that one f64x2 step advances
 * both after warm-up: the same IEEE operations per lane as emaStep, so the same bits.
 */
@unmanaged
export class EmaPair {
  valueA: f64;
  valueB: f64;
  seedA: f64;
  seedB: f64;
}

export const EMA_PAIR_BYTES: usize = offsetof<EmaPair>();

/** Feeds lane `lane` (0 = A, 1 = B) of the pair at `pair` during warm-up; see emaPushAt. */
// @ts-ignore: decorator
@inline export function emaPairPush(pair: usize, lane: i32, x: f64, j: i64, period: i32): f64 {
  const off = <usize>lane << 3;
  return emaPushAt(pair + off, pair + offsetof<EmaPair>('seedA') + off, x, j, period);
}

/** Both lanes' steady step, ((x − prev)·k) + prev per lane, with `k` = [k_A, k_B]; returns [A, B]. */
// @ts-ignore: decorator
@inline export function emaPairStep(pair: usize, x: f64, k: v128): v128 {
  const previous = v128.load(pair);
  const next = f64x2.add(f64x2.mul(f64x2.sub(f64x2.splat(x), previous), k), previous);
  v128.store(pair, next);
  return next;
}
