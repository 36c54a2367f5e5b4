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
import {
  COLUMN_STRIDE, IND_BB_LOWER, IND_BB_MIDDLE, IND_BB_UPPER, IND_SMA20, IND_SMA50,
} from './layout';
import { f64At } from './constants';

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
// Constants of the per-price path, read from memory (constants.ts says why).
const INV_SHORT: usize = memory.data<f64>([1.0 / <f64>SHORT]);
const INV_LONG: usize = memory.data<f64>([1.0 / <f64>LONG]);
const COLLAPSE_RATIO: usize = memory.data<f64>([VARIANCE_COLLAPSE]);
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

/** Adds price number `i` < LONG (0-based) of the series; windowStep takes the later ones. */
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
  const run = i > 0 && x == w.lastPrice ? w.runLength + 1 : 1;
  w.runLength = run;
  w.lastPrice = x;

  // Work in the centred frame: d = x − c is exact and the mean's offset from c is a small number
  // with small ulps, so deviations from the mean are known to ~1e-19 rather than to ulp(price).
  const c = w.centre;
  const d = x - c;
  const before = w.offsetShort;
  let m2 = w.m2;
  if (i < <i64>SHORT) {
    // Growing window: the classic Welford insert.
    const sumShort = w.sumShort + d;
    const after = sumShort / <f64>(i + 1);
    m2 += (d - (i > 0 ? before : d)) * (d - after);
    w.sumShort = sumShort;
    w.offsetShort = after;
  } else {
    const dOld = ringAt(ring, i - SHORT) - c;
    const sumShort = (w.sumShort + d) - dOld;
    const after = sumShort * f64At(INV_SHORT);
    m2 = slideM2(m2, d, dOld, after, before);
    w.sumShort = sumShort;
    w.offsetShort = after;
  }
  w.sumLong += d;
  if (run >= SHORT) m2 = 0; // twenty identical prices: the deviation is exactly zero
  if (m2 > w.m2Peak) w.m2Peak = m2;
  w.m2 = m2;
  if (++w.sinceRecompute >= RECOMPUTE_EVERY || m2 < w.m2Peak * f64At(COLLAPSE_RATIO)) recompute(w, ring, i);
}

/**
 * Full short window: x replaces `old`, so M2 changes by (x − old)(x − mean' + old − mean), all in
 * the centred frame. The mean offset is the sum times 1/20 rather than over 20 (within an ulp of
 * an offset that is itself ~1e-4 of the price, so invisible in the outputs; one division less).
 */
// @ts-ignore: decorator
@inline function slideM2(m2: f64, d: f64, dOld: f64, after: f64, before: f64): f64 {
  return m2 + (d - dOld) * ((d - after) + (dOld - before));
}

/**
 * Price number `i` >= LONG: both windows are full, so no warm-up branch is left. Writes SMA(20),
 * SMA(50) and the bands to the output columns at `at` from the values it just computed (reading
 * them back from the window after storing them was ~1.5 ns a tick slower on
 * bench/indicators.bench.ts's stream), or from the window after an exact recompute.
 */
// @ts-ignore: decorator
@inline export function windowStep(w: Window, ring: usize, x: f64, i: i64, at: usize): void {
  store<f64>(ring + (<usize>(i & RING_MASK) << 3), x);
  const run = x == w.lastPrice ? w.runLength + 1 : 1;
  w.runLength = run;
  w.lastPrice = x;
  const c = w.centre;
  const d = x - c;
  const dOld = ringAt(ring, i - SHORT) - c;
  const sumShort = (w.sumShort + d) - dOld;
  const after = sumShort * f64At(INV_SHORT);
  let m2 = slideM2(w.m2, d, dOld, after, w.offsetShort);
  const sumLong = (w.sumLong + d) - (ringAt(ring, i - LONG) - c);
  w.sumShort = sumShort;
  w.offsetShort = after;
  w.sumLong = sumLong;
  if (run >= SHORT) m2 = 0;
  let peak = w.m2Peak;
  if (m2 > peak) peak = m2;
  w.m2 = m2;
  w.m2Peak = peak;
  const since = w.sinceRecompute + 1;
  w.sinceRecompute = since;

  let middle = c + after;
  let long = c + sumLong * f64At(INV_LONG);
  let variance = m2 * f64At(INV_SHORT);
  if (since >= RECOMPUTE_EVERY || m2 < peak * f64At(COLLAPSE_RATIO)) {
    recompute(w, ring, i);
    middle = smaShort(w);
    long = smaLong(w);
    variance = w.m2 * f64At(INV_SHORT);
  }
  const width = widthOf(variance);
  store<f64>(at, middle, IND_SMA20 * COLUMN_STRIDE);
  store<f64>(at, long, IND_SMA50 * COLUMN_STRIDE);
  store<f64>(at, middle + width, IND_BB_UPPER * COLUMN_STRIDE);
  store<f64>(at, middle, IND_BB_MIDDLE * COLUMN_STRIDE);
  store<f64>(at, middle - width, IND_BB_LOWER * COLUMN_STRIDE);
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
  return w.centre + w.sumLong * f64At(INV_LONG);
}

/** Bollinger band half-width, BB_DEVIATIONS population standard deviations of the last 20. */
// @ts-ignore: decorator
@inline export function bandWidth(w: Window): f64 {
  // Multiplying by 1/20 is within an ulp of m2 / 20 and spares a division on every price.
  return widthOf(w.m2 * f64At(INV_SHORT));
}

// @ts-ignore: decorator
@inline function widthOf(variance: f64): f64 {
  return BB_DEVIATIONS * Math.sqrt(variance > 0 ? variance : 0);
}

export const SMA_SHORT_FIRST: i64 = SHORT - 1;
export const SMA_LONG_FIRST: i64 = LONG - 1;
