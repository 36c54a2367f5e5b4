/**
 * Seeded quote generator of the simulated EA: a random walk in integer points per symbol, with
 * one-sided spread moves, rare jumps of tens of points, undocumented flag bits now and then, and
 * bad ticks injected at a configured rate.
 *
 * The contract with the bridge's validation (DESIGN.md "Validation", REASON_* in
 * src/shared/ring-layout.ts) is that every good tick is accepted and every injected tick rejected,
 * so that a run can assert `ticks_rejected == invalid_injected`. What keeps it:
 *  - good ticks always change bid or ask (never an exact duplicate of the previous good tick),
 *    keep 1 <= ask - bid <= the symbol's max spread (<= 40 points, the bridge allows 100), move the
 *    mid by at most MAX_GOOD_MID_STEP_POINTS (far below the spike rule's 500-point floor), never go
 *    back in time, and stay within a band around the start price (so that even a restarted
 *    simulator continues close to where the bridge last saw the symbol);
 *  - the walk state only moves on good ticks: an injected tick never becomes "the last good tick",
 *    so the tick after a spike continues from the pre-spike price;
 *  - a symbol gets bad ticks only once it has a good tick (a duplicate or a backwards tick needs one
 *    to refer to); requireGoodTick() re-arms that when the bridge starts the symbol afresh;
 *  - spikes of a symbol are isolated by good ticks (the bridge takes a run of spikes at the same
 *    level for a real move and accepts the third), and jump well beyond the spike threshold.
 *
 * One call of next() fills the public registers (symbol, timeMsc, bid, ...): no allocation per tick.
 */
import { configSchema } from '../shared/config.js';
import { TICK_FLAG_ASK, TICK_FLAG_BID } from '../shared/protocol.js';
import { Rng } from './rng.js';
import type { SymbolProfile } from './symbols.js';

/** Kinds of injected bad ticks, in the order injection cycles through them. */
export const BAD_TICK_KINDS = [
  'crossed', 'zero_price', 'nan_price', 'stale', 'future', 'time_backwards', 'duplicate', 'spike',
] as const;
export type BadTickKind = (typeof BAD_TICK_KINDS)[number];
/** `kind` register value of a good tick; bad ticks are 1 + their index in BAD_TICK_KINDS. */
export const KIND_GOOD = 0;

/** How far an injected stale tick lags, and an injected future tick leads, the broker clock. */
export const STALE_INJECT_MS = 30_000;
export const FUTURE_INJECT_MS = 60_000;
/** Largest |Δmid| of a good tick in points: a 40-point jump plus a 1-point spread change. */
export const MAX_GOOD_MID_STEP_POINTS = 41;

const JUMP_PROBABILITY = 0.003;
const JUMP_MIN_POINTS = 10;
const JUMP_MAX_POINTS = 40;
/** The bid stays within this many points of its start (plus one small one-sided move). */
const BAND_POINTS = 180;
const UNDOCUMENTED_FLAG_PROBABILITY = 0.03;
/** Bits outside TICK_FLAGS_MASK that real feeds set; the bridge masks them away. */
const UNDOCUMENTED_FLAG_BITS = [0x1, 0x80, 0x100, 0x400, 0x80000000];

const VALIDATION_DEFAULTS = configSchema.shape.validation.parse({});
const SPIKE = BAD_TICK_KINDS.indexOf('spike');

export interface QuoteGeneratorOptions {
  symbols: readonly SymbolProfile[];
  seed: number;
  /** Fraction of ticks replaced by bad ones, 0..1. */
  invalidRate: number;
  /** The bridge's validation limits the injection must respect; defaults from the config schema. */
  staleMs?: number;
  spikeMinPoints?: number;
  spikeFactor?: number;
}

export class QuoteGenerator {
  // ── the tick last generated (overwritten by every next()) ───────────────────────────────────
  symbol = 0;
  /** Broker server clock, ms. */
  timeMsc = 0;
  bid = 0;
  ask = 0;
  last = 0;
  volume = 0;
  /** Raw MqlTick flags, possibly with undocumented bits. */
  flags = 0;
  volumeReal = 0;
  /** KIND_GOOD or 1 + index in BAD_TICK_KINDS. */
  kind = KIND_GOOD;

  /** Ticks generated per kind, indexed like `kind`. */
  readonly generatedByKind = new Float64Array(1 + BAD_TICK_KINDS.length);
  readonly symbols: readonly SymbolProfile[];

  private readonly rng: Rng;
  private readonly invalidRate: number;
  private readonly staleMs: number;
  private readonly spikeFloorPoints: number;
  private readonly cumulativeWeight: Float64Array;
  private readonly pow10: Float64Array;
  private readonly anchorPoints: Float64Array;
  private readonly volatility: Float64Array;
  private readonly minSpread: Float64Array;
  private readonly maxSpread: Float64Array;
  // Walk state = the symbol's last good tick (bid and spread in points, time on the server clock).
  private readonly bidPoints: Float64Array;
  private readonly spreadPoints: Float64Array;
  private readonly lastTime: Float64Array;
  private readonly lastFlags: Float64Array;
  private readonly hasGood: Uint8Array;
  /** 1 after a spike until the next good tick: the bridge accepts the third spike in a row as a real move. */
  private readonly spikeSinceGood: Uint8Array;
  private nextBadKind = 0;

  constructor(options: QuoteGeneratorOptions) {
    const n = options.symbols.length;
    this.symbols = options.symbols;
    this.rng = new Rng(options.seed);
    this.invalidRate = options.invalidRate;
    this.staleMs = options.staleMs ?? VALIDATION_DEFAULTS.staleMs;
    // Bigger than the spike rule's threshold max(spikeMinPoints, spikeFactor x EWMA|Δmid|) for any
    // EWMA of good steps, whatever its smoothing factor: good steps never exceed MAX_GOOD_MID_STEP_POINTS.
    const spikeFactor = options.spikeFactor ?? VALIDATION_DEFAULTS.spikeFactor;
    const spikeMin = options.spikeMinPoints ?? VALIDATION_DEFAULTS.spikeMinPoints;
    this.spikeFloorPoints = Math.max(2 * spikeMin, 1.25 * spikeFactor * MAX_GOOD_MID_STEP_POINTS);
    this.cumulativeWeight = new Float64Array(n);
    this.pow10 = new Float64Array(n);
    this.anchorPoints = new Float64Array(n);
    this.volatility = new Float64Array(n);
    this.minSpread = new Float64Array(n);
    this.maxSpread = new Float64Array(n);
    this.bidPoints = new Float64Array(n);
    this.spreadPoints = new Float64Array(n);
    this.lastTime = new Float64Array(n);
    this.lastFlags = new Float64Array(n);
    this.hasGood = new Uint8Array(n);
    this.spikeSinceGood = new Uint8Array(n);
    let total = 0;
    for (let s = 0; s < n; s++) {
      const p = options.symbols[s];
      total += p.weight;
      this.cumulativeWeight[s] = total;
      this.pow10[s] = 10 ** p.digits;
      this.anchorPoints[s] = p.startBidPoints;
      this.bidPoints[s] = p.startBidPoints;
      this.volatility[s] = p.volatilityPoints;
      this.minSpread[s] = Math.max(1, p.minSpreadPoints);
      this.maxSpread[s] = Math.max(this.minSpread[s] + 2, p.maxSpreadPoints);
      this.spreadPoints[s] = Math.round((this.minSpread[s] + this.maxSpread[s]) / 2);
    }
  }

  /** Picks a symbol by its share of the flow and generates its next tick at `timeMsc` (server clock). */
  next(timeMsc: number): void {
    const r = this.rng.next() * this.cumulativeWeight[this.cumulativeWeight.length - 1];
    let lo = 0;
    let hi = this.cumulativeWeight.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulativeWeight[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    this.nextFor(lo, timeMsc);
  }

  /** Generates the next tick of symbol `s` at `timeMsc` (server clock; clamped to never go back). */
  nextFor(s: number, timeMsc: number): void {
    const t = timeMsc > this.lastTime[s] ? timeMsc : this.lastTime[s];
    this.symbol = s;
    this.last = 0;
    this.volume = 0;
    this.volumeReal = 0;
    // Drawn for every tick so that the stream of good prices does not depend on the rate.
    const r = this.rng.next();
    if (this.hasGood[s] === 1 && r < this.invalidRate && !(this.spikeSinceGood[s] === 1 && this.nextBadKind === SPIKE)) {
      this.bad(s, t);
    } else {
      this.good(s, t);
    }
    this.generatedByKind[this.kind]++;
  }

  /** Bid of symbol `s`'s last good tick (its start price before any): what the paper broker trades at. */
  bidOf(s: number): number {
    return this.bidPoints[s] / this.pow10[s];
  }

  /** Ask of symbol `s`'s last good tick. */
  askOf(s: number): number {
    return (this.bidPoints[s] + this.spreadPoints[s]) / this.pow10[s];
  }

  /** Server time of symbol `s`'s last good tick (0 before any). */
  timeOf(s: number): number {
    return this.lastTime[s];
  }

  /** The bridge has no last tick of `s` (it started the symbol afresh): no bad tick until a good one. */
  requireGoodTick(s: number): void {
    this.hasGood[s] = 0;
  }

  private good(s: number, t: number): void {
    const rng = this.rng;
    const oldBid = this.bidPoints[s];
    const oldAsk = oldBid + this.spreadPoints[s];
    let bid = oldBid;
    let spread = this.spreadPoints[s];
    const minSpread = this.minSpread[s];
    const maxSpread = this.maxSpread[s];
    const dev = bid - this.anchorPoints[s];
    const mode = rng.next();
    if (mode < 0.7) {
      // Both sides move: the mid takes a step, the spread sometimes changes by a point.
      const u = rng.next();
      const step = rng.next() < JUMP_PROBABILITY
        ? JUMP_MIN_POINTS + Math.floor(rng.next() * (JUMP_MAX_POINTS - JUMP_MIN_POINTS + 1))
        : 1 + Math.floor(u * u * this.volatility[s]);
      let pUp = 0.5 - (0.4 * dev) / BAND_POINTS;
      pUp = pUp < 0.1 ? 0.1 : pUp > 0.9 ? 0.9 : pUp;
      let dir = rng.next() < pUp ? 1 : -1;
      if (Math.abs(dev + dir * step) > BAND_POINTS && Math.abs(dev - dir * step) < Math.abs(dev + dir * step)) dir = -dir;
      bid += dir * step;
      const v = rng.next();
      if (v < 0.1 && spread < maxSpread) spread++;
      else if (v < 0.2 && spread > minSpread) spread--;
    } else {
      // One side moves: the spread changes by 1 or 2 points, towards the anchor near the band's edge.
      const delta = rng.next() < 0.7 ? 1 : 2;
      const bidSide = mode < 0.85;
      let widen = rng.next() < 0.5;
      if (Math.abs(dev) > BAND_POINTS / 2) widen = bidSide ? dev > 0 : dev < 0;
      let next = widen ? spread + delta : spread - delta;
      if (next > maxSpread) next = maxSpread;
      if (next < minSpread) next = minSpread;
      if (next === spread) next = spread < maxSpread ? spread + 1 : spread - 1;
      if (bidSide) bid -= next - spread; // the ask stays where it was, else the bid does
      spread = next;
    }
    // The flags say what changed (a step of the bid against a narrower spread can leave the ask).
    let flags = (bid !== oldBid ? TICK_FLAG_BID : 0) | (bid + spread !== oldAsk ? TICK_FLAG_ASK : 0);
    if (rng.next() < UNDOCUMENTED_FLAG_PROBABILITY) {
      flags = (flags | UNDOCUMENTED_FLAG_BITS[Math.floor(rng.next() * UNDOCUMENTED_FLAG_BITS.length)]) >>> 0;
    }
    this.bidPoints[s] = bid;
    this.spreadPoints[s] = spread;
    this.lastTime[s] = t;
    this.lastFlags[s] = flags;
    this.hasGood[s] = 1;
    this.spikeSinceGood[s] = 0;
    this.kind = KIND_GOOD;
    this.timeMsc = t;
    this.flags = flags;
    // Integer points over a power of ten: the division rounds correctly, so 108512 / 1e5 is exactly
    // the double that the literal 1.08512 denotes (what the terminal itself would hold).
    this.bid = bid / this.pow10[s];
    this.ask = (bid + spread) / this.pow10[s];
  }

  private bad(s: number, t: number): void {
    const k = this.nextBadKind;
    this.nextBadKind = k + 1 === BAD_TICK_KINDS.length ? 0 : k + 1;
    const kind = BAD_TICK_KINDS[k];
    const pow10 = this.pow10[s];
    const bidPoints = this.bidPoints[s];
    const spread = this.spreadPoints[s];
    // Start from an exact copy of the last good tick, then break one thing.
    this.kind = k + 1;
    this.timeMsc = this.lastTime[s];
    this.flags = this.lastFlags[s];
    this.bid = bidPoints / pow10;
    this.ask = (bidPoints + spread) / pow10;
    switch (kind) {
      case 'crossed':
        this.timeMsc = t;
        this.ask = (bidPoints - this.rng.int(1, 5)) / pow10;
        break;
      case 'zero_price':
        this.timeMsc = t;
        this.bid = 0;
        break;
      case 'nan_price':
        this.timeMsc = t;
        this.ask = Number.NaN;
        break;
      case 'stale':
        this.timeMsc = t - STALE_INJECT_MS;
        break;
      case 'future':
        this.timeMsc = t + FUTURE_INJECT_MS;
        break;
      case 'time_backwards': {
        // 1-3 s before the last good tick, but younger than the stale limit (minus a margin for a
        // backfill frame's span) so that it is rejected for going backwards, not for being old.
        const lastTime = this.lastTime[s];
        const youngest = t - (this.staleMs - 1500);
        const back = lastTime - this.rng.int(1000, 3000);
        this.timeMsc = lastTime - 1 < youngest ? lastTime - 1 : back > youngest ? back : youngest;
        break;
      }
      case 'duplicate':
        break;
      case 'spike': {
        this.spikeSinceGood[s] = 1;
        this.timeMsc = t;
        const mid = bidPoints + spread / 2;
        const pct = 0.02 + 0.01 * this.rng.next();
        const jump = Math.round(Math.max(pct * mid, this.spikeFloorPoints));
        const up = this.rng.next() < 0.5 || bidPoints - jump <= 0;
        const spikeBid = up ? bidPoints + jump : bidPoints - jump;
        this.bid = spikeBid / pow10;
        this.ask = (spikeBid + spread) / pow10;
        break;
      }
    }
  }
}
