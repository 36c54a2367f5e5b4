/**
 * Tick validation: every rule that fails sets its bit in the returned mask. A rejected tick leaves
 * the symbol's last tick, last time, volatility and indicators as they were; only the counters,
 * the quality EWMA and the spike-recovery bookkeeping see it.
 *
 * The REASON_* bits mirror src/shared/ring-layout.ts; a unit test reads them back through
 * reasonBit/reasonName and compares.
 */
import { SymbolState } from './symbol-state';
import {
  IN_ASK, IN_BID, IN_CAPTURED_MS, IN_FLAGS, IN_LAST, IN_TIME_MSC, IN_VOLUME, IN_VOLUME_REAL,
} from './layout';
import { f64At } from './constants';

export const REASON_PRICE_INVALID: i32 = 1 << 0;
export const REASON_CROSSED: i32 = 1 << 1;
export const REASON_SPREAD: i32 = 1 << 2;
export const REASON_STALE: i32 = 1 << 3;
export const REASON_FUTURE: i32 = 1 << 4;
export const REASON_BACKWARDS: i32 = 1 << 5;
export const REASON_DUPLICATE: i32 = 1 << 6;
export const REASON_SPIKE: i32 = 1 << 7;
export const REASON_COUNT: i32 = 8;
/** Not a validation rule: the symbol id is out of range or was never configured. Not counted. */
export const REASON_UNCONFIGURED: i32 = 1 << 8;

/**
 * Spike recovery: this many consecutive spike rejections, each within the spike threshold of the
 * one before, mean the market really moved (a weekend gap, news): the last one is accepted and
 * becomes the new anchor.
 */
export const SPIKE_CONFIRM_TICKS: i32 = 3;
/**
 * The volatility EWMA weighs the newest |Δmid| 1/n for the first n samples (a plain mean, so the
 * estimate is usable after a few ticks instead of creeping up from zero), then 1/32.
 */
const VOLATILITY_SPAN: i32 = 32;
/** Weight of the newest tick in the per-symbol quality EWMA. */
const QUALITY_ALPHA: f64 = 1.0 / 64.0;
/** Spreads are quoted prices divided by a binary-inexact point: 100.0000000001 points is 100. */
const SPREAD_EPSILON_POINTS: f64 = 1e-6;

/** Slots per symbol in the counters table: accepted, rejected, then one per reason bit. */
export const COUNTER_SLOTS: i32 = 2 + REASON_COUNT;
const COUNTER_ACCEPTED: usize = 0;
const COUNTER_REJECTED: usize = 8;
const COUNTER_REASONS: usize = 16;

export function reasonBit(i: i32): i32 {
  return i >= 0 && i < REASON_COUNT ? 1 << i : 0;
}

export function reasonName(i: i32): string {
  switch (i) {
    case 0: return 'price_invalid';
    case 1: return 'crossed';
    case 2: return 'spread';
    case 3: return 'stale';
    case 4: return 'future';
    case 5: return 'time_backwards';
    case 6: return 'duplicate';
    case 7: return 'spike';
    default: return '';
  }
}

// @ts-ignore: decorator
@inline function sameBits(a: f64, b: f64): bool {
  return reinterpret<u64>(a) == reinterpret<u64>(b);
}

/** 2^52: a double in [2^52, 2^53) has exactly the integers as values, in its low mantissa bits. */
const TWO_52: f64 = 4503599627370496.0;

/**
 * An integer-valued 0 ≤ q < 2^31 as an i32 without a float-to-int conversion: V8 checks every wasm
 * truncation for overflow (a convert back, a compare and two branches), which was ~1.4 ns a tick
 * slower on bench/indicators.bench.ts's stream. q + 2^52 is exact and holds q in its low bits.
 */
// @ts-ignore: decorator
@inline function smallToI32(q: f64): i32 {
  return <i32>reinterpret<i64>(q + f64At(C_TWO_52));
}

/** The bits of the largest finite double. */
const LARGEST_FINITE_BITS: u64 = 0x7FEFFFFFFFFFFFFF;

/** Smallest positive normal double: added to a threshold, it changes nothing but a zero. */
const MIN_NORMAL: f64 = 2.2250738585072014e-308;

// Constants of the per-tick path, read from memory (constants.ts says why).
const C_HALF: usize = memory.data<f64>([0.5]);
const C_ONE: usize = memory.data<f64>([1.0]);
const C_MIN_NORMAL: usize = memory.data<f64>([MIN_NORMAL]);
const C_QUALITY_TOP: usize = memory.data<f64>([100.5]);
const C_SPREAD_WEIGHT: usize = memory.data<f64>([40.0]);
const C_JUMP_WEIGHT: usize = memory.data<f64>([40.0]);
const C_AGE_WEIGHT: usize = memory.data<f64>([20.0]);
const C_VOLATILITY_ALPHA: usize = memory.data<f64>([1.0 / <f64>VOLATILITY_SPAN]);
const C_QUALITY_ALPHA: usize = memory.data<f64>([QUALITY_ALPHA]);
const C_TWO_52: usize = memory.data<f64>([TWO_52]);

/** Fills the fields derived from the limits (configureSymbol calls it after setting them). */
export function deriveLimits(s: SymbolState): void {
  s.invPoint = 1.0 / s.point;
  s.spreadLimitPoints = s.maxSpreadPoints + SPREAD_EPSILON_POINTS;
  s.invMaxSpreadPoints = s.maxSpreadPoints > 0 ? 1.0 / s.maxSpreadPoints : 0.0;
  s.invStaleMs = s.staleMs > 0 ? 1.0 / s.staleMs : 0.0;
  s.spikeMinPrice = s.spikeMinPoints * s.point;
}

/** validateRow's result: the reason mask in the low 16 bits, the tick's quality (0..100) above. */
export const QUALITY_SHIFT: i32 = 16;
export const MASK_BITS: i32 = (1 << QUALITY_SHIFT) - 1;

/**
 * Validates one tick of the symbol whose state is `s` and whose counters start at `counters`: the
 * tick in row `inRow` of the input columns. Returns the reason mask (0 = accepted) with the tick's
 * quality above QUALITY_SHIFT. An accepted tick becomes the symbol's last tick (its mid in
 * s.lastMid); the caller then feeds that mid to the indicators. Comparisons are written so that
 * NaN times fail them (a NaN time_msc is stale).
 *
 * Inlined into each entry point. The limits' reciprocals are precomputed (deriveLimits), so an
 * accepted tick costs one division (jump / threshold) instead of five. The tick is read from the
 * input columns (processTick stores its arguments in a spare row first), so the batch and per-tick
 * entry points are one code path.
 */
// @ts-ignore: decorator
@inline export function validateRow(s: SymbolState, counters: usize, inRow: i32): i32 {
  const in4 = <usize>inRow << 2;
  const in8 = <usize>inRow << 3;
  const timeMsc = load<f64>(in8, IN_TIME_MSC);
  const bid = load<f64>(in8, IN_BID);
  const ask = load<f64>(in8, IN_ASK);
  const capturedMs = load<f64>(in8, IN_CAPTURED_MS);
  let mask = 0;
  // Finite and > 0, on the bits: exactly the doubles from the smallest subnormal to the largest
  // finite have bits in 1 .. 0x7FEFFFFFFFFFFFFF (+0 wraps around to the top, negatives, ±Infinity
  // and NaNs are above), so bits − 1 must be below that limit. Two integer compares instead of four
  // floating ones chained with && (see the duplicate rule for what V8 makes of && chains).
  const pricesValid = i32(reinterpret<u64>(bid) - 1 < LARGEST_FINITE_BITS) & i32(reinterpret<u64>(ask) - 1 < LARGEST_FINITE_BITS);
  const mid = (bid + ask) * f64At(C_HALF);
  let spreadPoints: f64 = 0;
  let jump: f64 = 0;
  let threshold: f64 = 0;

  if (pricesValid == 0) {
    mask |= REASON_PRICE_INVALID;
  } else {
    if (ask < bid) mask |= REASON_CROSSED;
    spreadPoints = (ask - bid) * s.invPoint;
    if (spreadPoints > s.spreadLimitPoints) mask |= REASON_SPREAD;
  }
  if (!(timeMsc >= capturedMs - s.staleMs)) mask |= REASON_STALE;
  if (timeMsc > capturedMs + s.futureToleranceMs) mask |= REASON_FUTURE;

  if (s.hasLast != 0) {
    const lastTimeMsc = s.lastTimeMsc;
    if (timeMsc < lastTimeMsc) mask |= REASON_BACKWARDS;
    // The time first, alone: it differs for ~90 % of ticks, which then take one branch. The other
    // fields are compared at once (x ^ y is 0 only for equal bits): an && chain becomes nested
    // selects that V8 walks through level by level even when the first test failed (~24
    // instructions on the common path).
    if (sameBits(timeMsc, lastTimeMsc)) {
      const differences =
        (reinterpret<i64>(bid) ^ reinterpret<i64>(s.lastBid)) |
        (reinterpret<i64>(ask) ^ reinterpret<i64>(s.lastAsk)) |
        (load<i64>(in8, IN_LAST) ^ reinterpret<i64>(s.lastLast)) |
        (load<i64>(in8, IN_VOLUME) ^ reinterpret<i64>(s.lastVolume)) |
        (load<i64>(in8, IN_VOLUME_REAL) ^ reinterpret<i64>(s.lastVolumeReal)) |
        <i64>(load<i32>(in4, IN_FLAGS) ^ s.lastFlags);
      if (differences == 0) mask |= REASON_DUPLICATE;
    }
    if (pricesValid != 0) {
      jump = Math.abs(mid - s.lastMid);
      const floor = s.spikeMinPrice;
      const scaled = s.spikeFactor * s.volatility;
      threshold = select<f64>(floor, scaled, floor > scaled);
      if (jump > threshold) mask |= REASON_SPIKE;
    }
  }

  if (mask != 0) return rejectOrReanchor(s, counters, inRow, mask, mid, jump, threshold, spreadPoints);
  return accept(s, counters, inRow, false, mid, jump, threshold, spreadPoints);
}

/**
 * An accepted tick: its quality, the volatility and quality EWMAs, and it becomes the last tick.
 * Returns the quality above QUALITY_SHIFT (the mask is 0).
 */
// @ts-ignore: decorator
@inline function accept(
  s: SymbolState, counters: usize, inRow: i32, reanchor: bool, mid: f64, jump: f64, threshold: f64,
  spreadPoints: f64,
): i32 {
  const in4 = <usize>inRow << 2;
  const in8 = <usize>inRow << 3;
  const timeMsc = load<f64>(in8, IN_TIME_MSC);
  // Each ratio is in [0, 1] (0 when its limit is 0). The rules that accepted the tick bound most of
  // them already, so only what they leave open is clamped: a spread within the epsilon above its
  // limit, a tick from slightly ahead of the capture clock, and the jump of a re-anchoring tick
  // (beyond the threshold by definition). jump ≤ threshold otherwise, and when the threshold is 0
  // so is the jump: jump / (threshold + MIN_NORMAL) is then 0 without a branch, and equals
  // jump / threshold for every other threshold.
  const spreadRatio = spreadPoints * s.invMaxSpreadPoints;
  const jumpRatio = reanchor ? 1.0 : jump / (threshold + f64At(C_MIN_NORMAL));
  const age = load<f64>(in8, IN_CAPTURED_MS) - timeMsc;
  const ageRatio = (age > 0 ? age : 0.0) * s.invStaleMs;
  // The argument is at least 0.5: round half up. f64.floor is one instruction (roundsd) and keeps
  // the quality EWMA's chain in floating point; the integer is taken off that chain.
  const one = f64At(C_ONE);
  const quality = Math.floor(f64At(C_QUALITY_TOP) - f64At(C_SPREAD_WEIGHT) * (spreadRatio < one ? spreadRatio : one)
    - f64At(C_JUMP_WEIGHT) * jumpRatio - f64At(C_AGE_WEIGHT) * ageRatio);

  // A re-anchoring jump is a level change, not volatility: keep it out of the EWMA.
  if (s.hasLast != 0 && !reanchor) {
    const samples = s.volatilitySamples;
    const volatility = s.volatility;
    if (samples < VOLATILITY_SPAN) {
      s.volatilitySamples = samples + 1;
      s.volatility = volatility + (jump - volatility) / <f64>(samples + 1);
    } else {
      s.volatility = volatility + (jump - volatility) * f64At(C_VOLATILITY_ALPHA); // exact: a power of two
    }
  }
  s.spikeRun = 0;
  s.hasLast = 1;
  s.lastTimeMsc = timeMsc;
  s.lastBid = load<f64>(in8, IN_BID);
  s.lastAsk = load<f64>(in8, IN_ASK);
  s.lastLast = load<f64>(in8, IN_LAST);
  s.lastVolume = load<f64>(in8, IN_VOLUME);
  s.lastVolumeReal = load<f64>(in8, IN_VOLUME_REAL);
  s.lastFlags = load<i32>(in4, IN_FLAGS);
  s.lastMid = mid;
  store<f64>(counters + COUNTER_ACCEPTED, load<f64>(counters + COUNTER_ACCEPTED) + 1);
  updateQuality(s, quality);
  return smallToI32(quality) << QUALITY_SHIFT;
}

// @ts-ignore: decorator
@inline function updateQuality(s: SymbolState, q: f64): void {
  const previous = s.quality;
  s.quality = isNaN(previous) ? q : previous + f64At(C_QUALITY_ALPHA) * (q - previous);
}

/**
 * A tick that broke at least one rule: counted per reason, or, when it is the third agreeing spike
 * in a row and nothing else is wrong, accepted as the new level (spike recovery). Rare, so not
 * inlined.
 */
function rejectOrReanchor(
  s: SymbolState, counters: usize, inRow: i32, mask: i32, mid: f64, jump: f64, threshold: f64, spreadPoints: f64,
): i32 {
  if (mask == REASON_SPIKE) {
    // Only a tick that is wrong for no other reason counts towards recovery.
    if (s.spikeRun > 0 && Math.abs(mid - s.spikeMid) <= threshold) s.spikeRun++;
    else s.spikeRun = 1;
    s.spikeMid = mid;
    if (s.spikeRun >= SPIKE_CONFIRM_TICKS) {
      return accept(s, counters, inRow, true, mid, jump, threshold, spreadPoints);
    }
  }
  store<f64>(counters + COUNTER_REJECTED, load<f64>(counters + COUNTER_REJECTED) + 1);
  for (let i = 0; i < REASON_COUNT; i++) {
    if (mask & (1 << i)) {
      const at = counters + COUNTER_REASONS + (<usize>i << 3);
      store<f64>(at, load<f64>(at) + 1);
    }
  }
  updateQuality(s, 0);
  return mask;
}
