/**
 * Tick validation: every rule that fails sets its bit in the returned mask. A rejected tick leaves
 * the symbol's last tick, last time, volatility and indicators as they were; only the counters,
 * the quality EWMA and the spike-recovery bookkeeping see it.
 *
 * The REASON_* bits mirror src/shared/ring-layout.ts; a unit test reads them back through
 * reasonBit/reasonName and compares.
 */
import { SymbolState } from './symbol-state';

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

/** Quality (0..100) of the tick validateTick saw last; 0 when it was rejected. */
export let lastTickQuality: i32 = 0;

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

// @ts-ignore: decorator
@inline function clamp01(x: f64): f64 {
  return x > 1.0 ? 1.0 : x > 0.0 ? x : 0.0;
}

/**
 * Validates one tick of the symbol whose state is `s` and whose counters start at `counters`.
 * Returns the reason mask (0 = accepted) and leaves the tick's quality in lastTickQuality. An
 * accepted tick becomes the symbol's last tick; the caller then feeds its mid to the indicators.
 * Comparisons are written so that NaN times fail them (a NaN time_msc is stale).
 */
export function validateTick(
  s: SymbolState, counters: usize,
  timeMsc: f64, bid: f64, ask: f64, last: f64, volume: f64, volumeReal: f64, flags: i32, capturedMs: f64,
): i32 {
  let mask = 0;
  const pricesValid = isFinite<f64>(bid) && bid > 0 && isFinite<f64>(ask) && ask > 0;
  const mid = (bid + ask) * 0.5;
  let spreadPoints: f64 = 0;
  let jump: f64 = 0;
  let threshold: f64 = 0;

  if (!pricesValid) {
    mask |= REASON_PRICE_INVALID;
  } else {
    if (ask < bid) mask |= REASON_CROSSED;
    spreadPoints = (ask - bid) / s.point;
    if (spreadPoints > s.maxSpreadPoints + SPREAD_EPSILON_POINTS) mask |= REASON_SPREAD;
  }
  if (!(timeMsc >= capturedMs - s.staleMs)) mask |= REASON_STALE;
  if (timeMsc > capturedMs + s.futureToleranceMs) mask |= REASON_FUTURE;

  const hasLast = s.hasLast != 0;
  if (hasLast) {
    if (timeMsc < s.lastTimeMsc) mask |= REASON_BACKWARDS;
    if (
      sameBits(timeMsc, s.lastTimeMsc) && sameBits(bid, s.lastBid) && sameBits(ask, s.lastAsk) &&
      sameBits(last, s.lastLast) && sameBits(volume, s.lastVolume) && sameBits(volumeReal, s.lastVolumeReal) &&
      flags == s.lastFlags
    ) mask |= REASON_DUPLICATE;
    if (pricesValid) {
      jump = Math.abs(mid - s.lastMid);
      threshold = Math.max(s.spikeMinPoints * s.point, s.spikeFactor * s.volatility);
      if (jump > threshold) mask |= REASON_SPIKE;
    }
  }

  let reanchor = false;
  if (mask == REASON_SPIKE) {
    // Only a tick that is wrong for no other reason counts towards recovery.
    if (s.spikeRun > 0 && Math.abs(mid - s.spikeMid) <= threshold) s.spikeRun++;
    else s.spikeRun = 1;
    s.spikeMid = mid;
    if (s.spikeRun >= SPIKE_CONFIRM_TICKS) {
      mask = 0;
      reanchor = true;
    }
  }

  let quality = 0;
  if (mask == 0) {
    const spreadRatio = s.maxSpreadPoints > 0 ? clamp01(spreadPoints / s.maxSpreadPoints) : 0.0;
    const jumpRatio = threshold > 0 ? clamp01(jump / threshold) : 0.0;
    const ageRatio = s.staleMs > 0 ? clamp01((capturedMs - timeMsc) / s.staleMs) : 0.0;
    quality = <i32>Math.floor(100.0 - 40.0 * spreadRatio - 40.0 * jumpRatio - 20.0 * ageRatio + 0.5);

    // A re-anchoring jump is a level change, not volatility: keep it out of the EWMA.
    if (hasLast && !reanchor) {
      if (s.volatilitySamples < VOLATILITY_SPAN) {
        s.volatilitySamples++;
        s.volatility += (jump - s.volatility) / <f64>s.volatilitySamples;
      } else {
        s.volatility += (jump - s.volatility) * (1.0 / <f64>VOLATILITY_SPAN); // exact: a power of two
      }
    }
    s.spikeRun = 0;
    s.hasLast = 1;
    s.lastTimeMsc = timeMsc;
    s.lastBid = bid;
    s.lastAsk = ask;
    s.lastLast = last;
    s.lastVolume = volume;
    s.lastVolumeReal = volumeReal;
    s.lastFlags = flags;
    s.lastMid = mid;
    store<f64>(counters + COUNTER_ACCEPTED, load<f64>(counters + COUNTER_ACCEPTED) + 1);
  } else {
    store<f64>(counters + COUNTER_REJECTED, load<f64>(counters + COUNTER_REJECTED) + 1);
    for (let i = 0; i < REASON_COUNT; i++) {
      if (mask & (1 << i)) {
        const at = counters + COUNTER_REASONS + (<usize>i << 3);
        store<f64>(at, load<f64>(at) + 1);
      }
    }
  }

  const q = <f64>quality;
  s.quality = isNaN(s.quality) ? q : s.quality + QUALITY_ALPHA * (q - s.quality);
  lastTickQuality = quality;
  return mask;
}
