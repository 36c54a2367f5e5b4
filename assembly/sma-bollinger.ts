/**
 * SMA(20), SMA(50) and Bollinger(20, 2) over one sliding window of recent prices, O(1) per price.
 *
 * Sums are kept relative to `centre`, a recent price: x − centre is exact (Sterbenz) while prices
 * stay within a factor of two of it, and the sums of such differences are exact too while they fit
 * in the mantissa, so the means carry one or two roundings rather than a drift. The variance is a
 * sliding Welford update of M2 = Σ(x − mean)², whose rounding scales with the window's own spread
 * (Σx²/N − mean², TA-Lib's formula, cancels catastrophically: ~1e-8 error on the fixtures). Every
 * RECOMPUTE_EVERY prices the window is re-summed exactly (two-pass) around a new centre, so
 * nothing drifts for long, and a window of identical prices has M2 set to exactly zero.
 */

/** Ring slots for past prices: a power of two at least as long as the longest window (50). */
export const RING_SLOTS: i32 = 64;
const RING_MASK: i64 = 63;
export const RING_BYTES: usize = <usize>RING_SLOTS << 3;
/** Exact re-summation period, in prices (DESIGN.md: at most 1024). */
export const RECOMPUTE_EVERY: i32 = 1024;
/**
 * Sliding updates leave a rounding residue of a few ulps of the largest M2 seen since the last
 * recompute. When M2 falls below this fraction of that peak (a busy window giving way to a quiet
 * one), the residue would show in the band width, so the window is re-summed at once: the width's
 * relative error then stays near 1e-13 instead of growing as the market goes quiet.
 */
const VARIANCE_COLLAPSE: f64 = 1.0 / 1024.0;

const SHORT: i32 = 20;
const LONG: i32 = 50;
const BB_DEVIATIONS: f64 = 2.0;

@unmanaged
export class Window {
  /** Recent price the sums are taken relative to; moved at every exact recompute. */
  centre: f64;
  /** Σ(x − centre) over the last 20 (at most) prices. */
  sumShort: f64;
  /** sumShort / (prices in the short window): the short mean's offset from centre. */
  offsetShort: f64;
  /** Σ(x − centre) over the last 50 (at most) prices. */
  sumLong: f64;
  /** Σ(x − meanShort)² over the last 20 (at most) prices. */
  m2: f64;
  /** Largest m2 since the last exact recompute: its rounding is what m2 carries. */
  m2Peak: f64;
  lastPrice: f64;
  /** Consecutive prices equal to lastPrice, the newest included. */
  runLength: i32;
  /** Prices since the last exact recompute. */
  sinceRecompute: i32;
}

// @ts-ignore: decorator
@inline function ringAt(ring: usize, i: i64): f64 {
  return load<f64>(ring + (<usize>(i & RING_MASK) << 3));
}

/** Adds price number `i` (0-based) of the series. */
export function windowPush(w: Window, ring: usize, x: f64, i: i64): void {
  store<f64>(ring + (<usize>(i & RING_MASK) << 3), x);
  if (i == 0) {
    w.centre = x;
    w.sumShort = 0;
    w.sumLong = 0;
    w.offsetShort = 0;
    w.m2 = 0;
    w.m2Peak = 0;
    w.runLength = 0;
    w.sinceRecompute = 0;
  }
  w.runLength = i > 0 && x == w.lastPrice ? w.runLength + 1 : 1;
  w.lastPrice = x;

  // Work in the centred frame: d = x − c is exact and the mean's offset from c is a small number
  // with small ulps, so deviations from the mean are known to ~1e-19 rather than to ulp(price).
  const c = w.centre;
  const d = x - c;
  const before = w.offsetShort;
  if (i < <i64>SHORT) {
    // Growing window: the classic Welford insert.
    w.sumShort += d;
    const after = w.sumShort / <f64>(i + 1);
    w.m2 += (d - (i > 0 ? before : d)) * (d - after);
    w.offsetShort = after;
  } else {
    // Full window: x replaces `old`; M2 changes by (x − old)(x − mean' + old − mean).
    const dOld = ringAt(ring, i - SHORT) - c;
    w.sumShort += d;
    w.sumShort -= dOld;
    const after = w.sumShort / <f64>SHORT;
    w.m2 += (d - dOld) * ((d - after) + (dOld - before));
    w.offsetShort = after;
  }
  w.sumLong += d;
  if (i >= <i64>LONG) w.sumLong -= ringAt(ring, i - LONG) - c;

  if (w.runLength >= SHORT) w.m2 = 0; // twenty identical prices: the deviation is exactly zero
  if (w.m2 > w.m2Peak) w.m2Peak = w.m2;
  if (++w.sinceRecompute >= RECOMPUTE_EVERY || w.m2 < w.m2Peak * VARIANCE_COLLAPSE) recompute(w, ring, i);
}

/** Exact two-pass re-summation of both windows around the newest price. */
function recompute(w: Window, ring: usize, i: i64): void {
  const c = ringAt(ring, i);
  w.centre = c;
  w.sinceRecompute = 0;

  const nLong = i + 1 < <i64>LONG ? i + 1 : <i64>LONG;
  let sum: f64 = 0;
  for (let j = i - nLong + 1; j <= i; j++) sum += ringAt(ring, j) - c;
  w.sumLong = sum;

  const nShort = i + 1 < <i64>SHORT ? i + 1 : <i64>SHORT;
  sum = 0;
  for (let j = i - nShort + 1; j <= i; j++) sum += ringAt(ring, j) - c;
  w.sumShort = sum;

  // Corrected two-pass: Σe² − (Σe)²/n with e = x − mean, which removes the mean's own rounding.
  const offset = sum / <f64>nShort;
  w.offsetShort = offset;
  let sq: f64 = 0;
  let lin: f64 = 0;
  for (let j = i - nShort + 1; j <= i; j++) {
    const e = (ringAt(ring, j) - c) - offset;
    sq += e * e;
    lin += e;
  }
  const m2 = sq - lin * lin / <f64>nShort;
  w.m2 = m2 > 0 ? m2 : 0;
  w.m2Peak = w.m2;
}

/** SMA(20); valid from price 19. */
// @ts-ignore: decorator
@inline export function smaShort(w: Window): f64 {
  return w.centre + w.offsetShort;
}

/** SMA(50); valid from price 49. */
// @ts-ignore: decorator
@inline export function smaLong(w: Window): f64 {
  return w.centre + w.sumLong / <f64>LONG;
}

/** Bollinger band half-width, BB_DEVIATIONS population standard deviations of the last 20. */
// @ts-ignore: decorator
@inline export function bandWidth(w: Window): f64 {
  // Multiplying by 1/20 is within an ulp of m2 / 20 and spares a division on every price.
  const variance = w.m2 * (1.0 / <f64>SHORT);
  return BB_DEVIATIONS * Math.sqrt(variance > 0 ? variance : 0);
}

export const SMA_SHORT_FIRST: i64 = SHORT - 1;
export const SMA_LONG_FIRST: i64 = LONG - 1;
