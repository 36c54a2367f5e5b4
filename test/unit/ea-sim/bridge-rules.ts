// A plain model of the bridge's per-tick validation (DESIGN.md "Validation", the REASON_* bits of
// src/shared/ring-layout.ts, the defaults of src/shared/config.ts, the EWMA and spike recovery of
// assembly/validation.ts), and of the bridge's resume cursor, for the simulator's tests.
import {
  REASON_BACKWARDS, REASON_CROSSED, REASON_DUPLICATE, REASON_FUTURE, REASON_PRICE_INVALID, REASON_SPIKE,
  REASON_SPREAD, REASON_STALE,
} from '../../../src/shared/ring-layout.js';

const MAX_SPREAD_POINTS = 100;
const STALE_MS = 5000;
const FUTURE_TOLERANCE_MS = 1000;
const SPIKE_MIN_POINTS = 500;
const SPIKE_FACTOR = 50;
const VOLATILITY_ALPHA = 1 / 32;
const SPIKE_CONFIRM_TICKS = 3;

interface SymbolState {
  hasLast: boolean;
  time: number; bid: number; ask: number; last: number; volume: number; volumeReal: number; flags: number; mid: number;
  volatility: number;
  spikeRun: number;
  spikeMid: number;
}

export class BridgeRules {
  private readonly states = new Map<number, SymbolState>();

  /** Reason mask of one tick (0 = accepted); `timeUtc` already has the server offset removed. */
  validate(
    symbol: number, point: number, timeUtc: number, bid: number, ask: number, last: number, volume: number,
    volumeReal: number, rawFlags: number, capturedMs: number,
  ): number {
    let s = this.states.get(symbol);
    if (!s) {
      s = { hasLast: false, time: 0, bid: 0, ask: 0, last: 0, volume: 0, volumeReal: 0, flags: 0, mid: 0, volatility: 0, spikeRun: 0, spikeMid: 0 };
      this.states.set(symbol, s);
    }
    const flags = rawFlags & 0x7e;
    let mask = 0;
    const valid = Number.isFinite(bid) && bid > 0 && Number.isFinite(ask) && ask > 0;
    const mid = (bid + ask) / 2;
    let jump = 0;
    let threshold = 0;
    if (!valid) mask |= REASON_PRICE_INVALID;
    else {
      if (ask < bid) mask |= REASON_CROSSED;
      if ((ask - bid) / point > MAX_SPREAD_POINTS + 1e-6) mask |= REASON_SPREAD;
    }
    if (!(timeUtc >= capturedMs - STALE_MS)) mask |= REASON_STALE;
    if (timeUtc > capturedMs + FUTURE_TOLERANCE_MS) mask |= REASON_FUTURE;
    if (s.hasLast) {
      if (timeUtc < s.time) mask |= REASON_BACKWARDS;
      if (Object.is(timeUtc, s.time) && Object.is(bid, s.bid) && Object.is(ask, s.ask) && Object.is(last, s.last)
        && Object.is(volume, s.volume) && Object.is(volumeReal, s.volumeReal) && flags === s.flags) mask |= REASON_DUPLICATE;
      if (valid) {
        jump = Math.abs(mid - s.mid);
        threshold = Math.max(SPIKE_MIN_POINTS * point, SPIKE_FACTOR * s.volatility);
        if (jump > threshold) mask |= REASON_SPIKE;
      }
    }
    let reanchor = false;
    if (mask === REASON_SPIKE) {
      s.spikeRun = s.spikeRun > 0 && Math.abs(mid - s.spikeMid) <= threshold ? s.spikeRun + 1 : 1;
      s.spikeMid = mid;
      if (s.spikeRun >= SPIKE_CONFIRM_TICKS) {
        mask = 0;
        reanchor = true;
      }
    }
    if (mask === 0) {
      if (s.hasLast && !reanchor) s.volatility += VOLATILITY_ALPHA * (jump - s.volatility);
      Object.assign(s, { hasLast: true, time: timeUtc, bid, ask, last, volume, volumeReal, flags, mid, spikeRun: 0 });
    }
    return mask;
  }
}

/**
 * The resume cursor as docs/protocol.md defines it: over every tick received for the symbol (valid
 * or not), the running maximum of time_msc and how many ticks were received since it was reached.
 */
export class CursorModel {
  time = 0;
  count = 0;

  add(timeMsc: number): void {
    if (timeMsc > this.time) {
      this.time = timeMsc;
      this.count = 1;
    } else {
      this.count++;
    }
  }
}
