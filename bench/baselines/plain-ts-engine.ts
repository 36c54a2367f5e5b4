/**
 * The same validation and indicators as the WASM engine (assembly/), written as plain TypeScript:
 * the baseline that says what WebAssembly buys over well-written JavaScript. Same rules and reason
 * bits, same TA-Lib conventions, same O(1) running sums and the same order of floating-point
 * operations, so its outputs equal the engine's bit for bit (test/unit/bench/plain-ts-engine.test.ts
 * checks it on a stream with every kind of bad tick). State lives in typed arrays indexed by symbol
 * id; a tick allocates nothing.
 *
 * No double crosses a call V8 may not inline: ticks are read from columns by index (processRow),
 * and the helpers take their input price from a scratch array. A double argument or return value
 * of a call that is not inlined is boxed, i.e. allocated: the first version, with a
 * processTick(id, time, bid, ...) signature like the engine's, made ~15 scavenges per million
 * ticks (bench/indicators.bench.ts counts them).
 *
 * Not used by the product: it exists for bench/indicators.bench.ts and as a second, independent
 * reading of the engine's rules.
 */
import {
  REASON_BACKWARDS, REASON_CROSSED, REASON_DUPLICATE, REASON_FUTURE, REASON_PRICE_INVALID, REASON_SPIKE,
  REASON_SPREAD, REASON_STALE,
} from '../../src/shared/ring-layout.js';
import type { SymbolLimits } from '../../src/workers/engine.js';

export const PLAIN_INDICATOR_COUNT = 13;

/** Tick columns, the way the engine's input columns hold them. */
export interface TickColumns {
  readonly symbol: Int32Array;
  readonly timeMsc: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly last: Float64Array;
  readonly volume: Float64Array;
  readonly volumeReal: Float64Array;
  readonly flags: Int32Array;
  readonly capturedMs: Float64Array;
}
/** Same meaning as the engine's: the id is out of range or was never configured. */
export const PLAIN_REASON_UNCONFIGURED = 1 << 8;

// Output slots, INDICATOR_NAMES order (src/shared/ring-layout.ts).
const SMA20 = 0;
const SMA50 = 1;
const EMA12 = 2;
const EMA26 = 3;
const EMA20 = 4;
const EMA50 = 5;
const RSI14 = 6;
const MACD = 7;
const MACD_SIGNAL = 8;
const MACD_HIST = 9;
const BB_UPPER = 10;
const BB_MIDDLE = 11;
const BB_LOWER = 12;

const SPREAD_EPSILON_POINTS = 1e-6;
const SPIKE_CONFIRM_TICKS = 3;
const VOLATILITY_SPAN = 32;
const QUALITY_ALPHA = 1 / 64;

const RING = 64;
const SHORT = 20;
const LONG = 50;
const RECOMPUTE_EVERY = 1024;
const VARIANCE_COLLAPSE = 1 / 1024;
const RSI_PERIOD = 14;
const MACD_FAST_FIRST = 26 - 12; // the fast EMA is aligned to the slow one (TA-Lib)
const MACD_LINE_FIRST = 26 - 1;
const MACD_FIRST = MACD_LINE_FIRST + 9 - 1;
const K12 = 2 / 13;
const K26 = 2 / 27;
const K20 = 2 / 21;
const K50 = 2 / 51;
const K9 = 2 / 10;

/** Validation state per symbol (struct of arrays). */
class Validation {
  readonly configured: Uint8Array;
  readonly hasLast: Uint8Array;
  readonly spikeRun: Int32Array;
  readonly volatilitySamples: Int32Array;
  readonly lastFlags: Int32Array;
  readonly invPoint: Float64Array;
  readonly spreadLimit: Float64Array;
  readonly invMaxSpread: Float64Array;
  readonly staleMs: Float64Array;
  readonly invStaleMs: Float64Array;
  readonly futureMs: Float64Array;
  readonly spikeMinPrice: Float64Array;
  readonly spikeFactor: Float64Array;
  readonly lastTime: Float64Array;
  readonly lastBid: Float64Array;
  readonly lastAsk: Float64Array;
  readonly lastLast: Float64Array;
  readonly lastVolume: Float64Array;
  readonly lastVolumeReal: Float64Array;
  readonly lastMid: Float64Array;
  readonly volatility: Float64Array;
  readonly spikeMid: Float64Array;
  readonly quality: Float64Array;
  /** accepted, rejected, then one per reason bit: 10 per symbol. */
  readonly counters: Float64Array;

  constructor(n: number) {
    this.configured = new Uint8Array(n);
    this.hasLast = new Uint8Array(n);
    this.spikeRun = new Int32Array(n);
    this.volatilitySamples = new Int32Array(n);
    this.lastFlags = new Int32Array(n);
    const f = (): Float64Array => new Float64Array(n);
    this.invPoint = f(); this.spreadLimit = f(); this.invMaxSpread = f(); this.staleMs = f(); this.invStaleMs = f();
    this.futureMs = f(); this.spikeMinPrice = f(); this.spikeFactor = f();
    this.lastTime = f(); this.lastBid = f(); this.lastAsk = f(); this.lastLast = f(); this.lastVolume = f();
    this.lastVolumeReal = f(); this.lastMid = f(); this.volatility = f(); this.spikeMid = f();
    this.quality = new Float64Array(n).fill(Number.NaN);
    this.counters = new Float64Array(n * 10);
  }

  reset(id: number): void {
    this.hasLast[id] = 0;
    this.spikeRun[id] = 0;
    this.volatilitySamples[id] = 0;
    this.lastFlags[id] = 0;
    this.lastTime[id] = 0; this.lastBid[id] = 0; this.lastAsk[id] = 0; this.lastLast[id] = 0;
    this.lastVolume[id] = 0; this.lastVolumeReal[id] = 0; this.lastMid[id] = 0;
    this.volatility[id] = 0; this.spikeMid[id] = 0;
    this.quality[id] = Number.NaN;
    this.counters.fill(0, id * 10, id * 10 + 10);
  }
}

/** Indicator state per series (struct of arrays; the ring is RING slots per series). */
class Series {
  readonly count: Float64Array;
  readonly ring: Float64Array;
  readonly centre: Float64Array;
  readonly sumShort: Float64Array;
  readonly offsetShort: Float64Array;
  readonly sumLong: Float64Array;
  readonly m2: Float64Array;
  readonly m2Peak: Float64Array;
  readonly lastPrice: Float64Array;
  readonly runLength: Int32Array;
  readonly sinceRecompute: Int32Array;
  /** EMA value and seed sum per EMA: 12, 26, 20, 50, MACD fast, MACD signal. */
  readonly emaValue: Float64Array;
  readonly emaSeed: Float64Array;
  readonly rsiPrevious: Float64Array;
  readonly rsiGain: Float64Array;
  readonly rsiLoss: Float64Array;

  constructor(n: number) {
    const f = (): Float64Array => new Float64Array(n);
    this.count = f();
    this.ring = new Float64Array(n * RING);
    this.centre = f(); this.sumShort = f(); this.offsetShort = f(); this.sumLong = f(); this.m2 = f();
    this.m2Peak = f(); this.lastPrice = f();
    this.runLength = new Int32Array(n);
    this.sinceRecompute = new Int32Array(n);
    this.emaValue = new Float64Array(n * 6);
    this.emaSeed = new Float64Array(n * 6);
    this.rsiPrevious = f(); this.rsiGain = f(); this.rsiLoss = f();
  }

  reset(id: number): void {
    this.count[id] = 0;
    this.ring.fill(0, id * RING, id * RING + RING);
    this.centre[id] = 0; this.sumShort[id] = 0; this.offsetShort[id] = 0; this.sumLong[id] = 0;
    this.m2[id] = 0; this.m2Peak[id] = 0; this.lastPrice[id] = 0;
    this.runLength[id] = 0; this.sinceRecompute[id] = 0;
    this.emaValue.fill(0, id * 6, id * 6 + 6);
    this.emaSeed.fill(0, id * 6, id * 6 + 6);
    this.rsiPrevious[id] = 0; this.rsiGain[id] = 0; this.rsiLoss[id] = 0;
  }
}

export class PlainTsEngine {
  readonly maxSymbols: number;
  /** The 13 outputs of the latest tick or price, INDICATOR_NAMES order; NaN = no value. */
  readonly out = new Float64Array(PLAIN_INDICATOR_COUNT);
  /** Quality (0..100) of the latest tick; 0 when rejected. */
  quality = 0;
  /** Per-symbol 1-based sequence of the latest tick when accepted, else 0. */
  seq = 0;
  /** Mid of the latest accepted tick. */
  mid = 0;
  private readonly v: Validation;
  private readonly s: Series;
  /** Scratch registers: [0] the price being pushed, [1] the MACD line, [2] fast EMA, [3] signal. */
  private readonly r = new Float64Array(4);
  /** One-row columns for processTick. */
  private readonly one: TickColumns = {
    symbol: new Int32Array(1), timeMsc: new Float64Array(1), bid: new Float64Array(1), ask: new Float64Array(1),
    last: new Float64Array(1), volume: new Float64Array(1), volumeReal: new Float64Array(1), flags: new Int32Array(1),
    capturedMs: new Float64Array(1),
  };

  constructor(maxSymbols = 256) {
    this.maxSymbols = maxSymbols;
    this.v = new Validation(maxSymbols);
    this.s = new Series(maxSymbols);
  }

  configureSymbol(id: number, l: SymbolLimits): void {
    const v = this.v;
    if (v.configured[id] === 0) this.resetSymbol(id);
    v.invPoint[id] = 1 / l.point;
    v.spreadLimit[id] = l.maxSpreadPoints + SPREAD_EPSILON_POINTS;
    v.invMaxSpread[id] = l.maxSpreadPoints > 0 ? 1 / l.maxSpreadPoints : 0;
    v.staleMs[id] = l.staleMs;
    v.invStaleMs[id] = l.staleMs > 0 ? 1 / l.staleMs : 0;
    v.futureMs[id] = l.futureToleranceMs;
    v.spikeMinPrice[id] = l.spikeMinPoints * l.point;
    v.spikeFactor[id] = l.spikeFactor;
    v.configured[id] = 1;
  }

  resetSymbol(id: number): void {
    this.v.reset(id);
    this.s.reset(id);
  }

  /** Forgets only the indicator series of `id` (pushPrice users). */
  resetSeries(id: number): void {
    this.s.reset(id);
  }

  /** Ticks of `id` accepted so far (the sequence number of the latest accepted one). */
  accepted(id: number): number {
    return this.v.counters[id * 10];
  }

  /** [accepted, rejected, ...one per reason] of `id`, as a view (no copy). */
  counters(id: number): Float64Array {
    return this.v.counters.subarray(id * 10, id * 10 + 10);
  }

  symbolQuality(id: number): number {
    return this.v.quality[id];
  }

  /**
   * Validates tick `i` of `t`; when accepted, feeds its mid to the indicators (outputs in `out`).
   * Returns the reason mask.
   */
  processRow(t: TickColumns, i: number): number {
    const id = t.symbol[i];
    if (!(id >= 0 && id < this.maxSymbols) || this.v.configured[id] === 0) {
      this.quality = 0;
      this.seq = 0;
      this.out.fill(Number.NaN);
      return PLAIN_REASON_UNCONFIGURED;
    }
    const mask = this.validateRow(t, i);
    if (mask === 0) {
      this.seq = this.v.counters[id * 10];
      this.r[0] = this.mid;
      this.push(id);
    } else {
      this.seq = 0;
      this.out.fill(Number.NaN);
    }
    return mask;
  }

  /** One tick from arguments (tests; a caller that does not inline it boxes the doubles). */
  processTick(id: number, timeMsc: number, bid: number, ask: number, last: number, volume: number,
    volumeReal: number, flags: number, capturedMs: number): number {
    const t = this.one;
    t.symbol[0] = id; t.timeMsc[0] = timeMsc; t.bid[0] = bid; t.ask[0] = ask; t.last[0] = last;
    t.volume[0] = volume; t.volumeReal[0] = volumeReal; t.flags[0] = flags; t.capturedMs[0] = capturedMs;
    return this.processRow(t, 0);
  }

  /**
   * The validation rules alone, for tick `i` of `t` (the library baselines use it so that every
   * variant does the same validation work). Returns the mask; an accepted tick leaves its mid in
   * `mid` and its quality in `quality`, and counts towards `accepted(id)`.
   */
  validateRow(t: TickColumns, i: number): number {
    const v = this.v;
    const id = t.symbol[i];
    const timeMsc = t.timeMsc[i];
    const bid = t.bid[i];
    const ask = t.ask[i];
    const capturedMs = t.capturedMs[i];
    let mask = 0;
    const pricesValid = bid > 0 && bid < Infinity && ask > 0 && ask < Infinity;
    const mid = (bid + ask) * 0.5;
    let spreadPoints = 0;
    let jump = 0;
    let threshold = 0;
    if (!pricesValid) {
      mask |= REASON_PRICE_INVALID;
    } else {
      if (ask < bid) mask |= REASON_CROSSED;
      spreadPoints = (ask - bid) * v.invPoint[id];
      if (spreadPoints > v.spreadLimit[id]) mask |= REASON_SPREAD;
    }
    if (!(timeMsc >= capturedMs - v.staleMs[id])) mask |= REASON_STALE;
    if (timeMsc > capturedMs + v.futureMs[id]) mask |= REASON_FUTURE;
    if (v.hasLast[id] !== 0) {
      if (timeMsc < v.lastTime[id]) mask |= REASON_BACKWARDS;
      // Object.is compares as the engine does (bit patterns: NaN equals NaN, 0 differs from −0).
      if (Object.is(timeMsc, v.lastTime[id]) && Object.is(bid, v.lastBid[id]) && Object.is(ask, v.lastAsk[id])
        && Object.is(t.last[i], v.lastLast[id]) && Object.is(t.volume[i], v.lastVolume[id])
        && Object.is(t.volumeReal[i], v.lastVolumeReal[id]) && t.flags[i] === v.lastFlags[id]) mask |= REASON_DUPLICATE;
      if (pricesValid) {
        jump = Math.abs(mid - v.lastMid[id]);
        const floor = v.spikeMinPrice[id];
        const scaled = v.spikeFactor[id] * v.volatility[id];
        threshold = floor > scaled ? floor : scaled;
        if (jump > threshold) mask |= REASON_SPIKE;
      }
    }

    let reanchor = false;
    if (mask === REASON_SPIKE) {
      if (v.spikeRun[id] > 0 && Math.abs(mid - v.spikeMid[id]) <= threshold) v.spikeRun[id]++;
      else v.spikeRun[id] = 1;
      v.spikeMid[id] = mid;
      if (v.spikeRun[id] >= SPIKE_CONFIRM_TICKS) {
        mask = 0;
        reanchor = true;
      }
    }

    const c = id * 10;
    let quality = 0;
    if (mask === 0) {
      const spreadRatio = spreadPoints * v.invMaxSpread[id];
      const jumpRatio = reanchor ? 1 : threshold > 0 ? jump / threshold : 0;
      const age = capturedMs - timeMsc;
      const ageRatio = (age > 0 ? age : 0) * v.invStaleMs[id];
      quality = Math.floor(100.5 - 40 * (spreadRatio < 1 ? spreadRatio : 1) - 40 * jumpRatio - 20 * ageRatio);
      if (v.hasLast[id] !== 0 && !reanchor) {
        const n = v.volatilitySamples[id];
        const vol = v.volatility[id];
        if (n < VOLATILITY_SPAN) {
          v.volatilitySamples[id] = n + 1;
          v.volatility[id] = vol + (jump - vol) / (n + 1);
        } else {
          v.volatility[id] = vol + (jump - vol) * (1 / VOLATILITY_SPAN);
        }
      }
      v.spikeRun[id] = 0;
      v.hasLast[id] = 1;
      v.lastTime[id] = timeMsc;
      v.lastBid[id] = bid;
      v.lastAsk[id] = ask;
      v.lastLast[id] = t.last[i];
      v.lastVolume[id] = t.volume[i];
      v.lastVolumeReal[id] = t.volumeReal[i];
      v.lastFlags[id] = t.flags[i];
      v.lastMid[id] = mid;
      v.counters[c]++;
      this.mid = mid;
    } else {
      v.counters[c + 1]++;
      for (let i = 0; i < 8; i++) if (mask & (1 << i)) v.counters[c + 2 + i]++;
    }
    const previous = v.quality[id];
    v.quality[id] = Number.isNaN(previous) ? quality : previous + QUALITY_ALPHA * (quality - previous);
    this.quality = quality;
    return mask;
  }

  /** Indicators only: the next price of series `id`, the 13 outputs in `out`. */
  pushPrice(id: number, x: number): void {
    this.r[0] = x;
    this.push(id);
  }

  /** The next price of series `id` is r[0]. */
  private push(id: number): void {
    const s = this.s;
    const out = this.out;
    const x = this.r[0];
    const i = s.count[id];
    s.count[id] = i + 1;

    // SMA(20), SMA(50), Bollinger(20, 2): sums centred on a recent price, sliding Welford M2.
    const r = id * RING;
    s.ring[r + (i & (RING - 1))] = x;
    if (i === 0) {
      s.centre[id] = x; s.sumShort[id] = 0; s.sumLong[id] = 0; s.offsetShort[id] = 0;
      s.m2[id] = 0; s.m2Peak[id] = 0; s.runLength[id] = 0; s.sinceRecompute[id] = 0;
    }
    const run = i > 0 && x === s.lastPrice[id] ? s.runLength[id] + 1 : 1;
    s.runLength[id] = run;
    s.lastPrice[id] = x;
    const c = s.centre[id];
    const d = x - c;
    const before = s.offsetShort[id];
    let m2 = s.m2[id];
    if (i < SHORT) {
      const sum = s.sumShort[id] + d;
      const after = sum / (i + 1);
      m2 += (d - (i > 0 ? before : d)) * (d - after);
      s.sumShort[id] = sum;
      s.offsetShort[id] = after;
    } else {
      const dOld = s.ring[r + ((i - SHORT) & (RING - 1))] - c;
      const sum = (s.sumShort[id] + d) - dOld;
      const after = sum * (1 / SHORT);
      s.sumShort[id] = sum;
      s.offsetShort[id] = after;
      m2 += (d - dOld) * ((d - after) + (dOld - before));
    }
    s.sumLong[id] = i >= LONG ? (s.sumLong[id] + d) - (s.ring[r + ((i - LONG) & (RING - 1))] - c) : s.sumLong[id] + d;
    if (run >= SHORT) m2 = 0;
    let peak = s.m2Peak[id];
    if (m2 > peak) peak = m2;
    s.m2[id] = m2;
    s.m2Peak[id] = peak;
    const since = s.sinceRecompute[id] + 1;
    s.sinceRecompute[id] = since;
    if (since >= RECOMPUTE_EVERY || m2 < peak * VARIANCE_COLLAPSE) this.recompute(id, i);

    if (i >= SHORT - 1) {
      const middle = s.centre[id] + s.offsetShort[id];
      const variance = s.m2[id] * (1 / SHORT);
      const width = 2 * Math.sqrt(variance > 0 ? variance : 0);
      out[SMA20] = middle;
      out[BB_UPPER] = middle + width;
      out[BB_MIDDLE] = middle;
      out[BB_LOWER] = middle - width;
    } else {
      out[SMA20] = Number.NaN; out[BB_UPPER] = Number.NaN; out[BB_MIDDLE] = Number.NaN; out[BB_LOWER] = Number.NaN;
    }
    out[SMA50] = i >= LONG - 1 ? s.centre[id] + s.sumLong[id] * (1 / LONG) : Number.NaN;

    // EMAs seeded with the SMA of their first n inputs, then ((x − prev)·k) + prev (TA-Lib). The
    // helpers write into arrays rather than return doubles: a double returned from a call V8 does
    // not inline is boxed, i.e. allocated (the GC count of bench/indicators.bench.ts showed it).
    const e = id * 6;
    const reg = this.r;
    this.ema(e, 0, i, 12, K12, out, EMA12);
    this.ema(e + 1, 0, i, 26, K26, out, EMA26);
    this.ema(e + 2, 0, i, 20, K20, out, EMA20);
    this.ema(e + 3, 0, i, 50, K50, out, EMA50);

    // MACD(12, 26, 9): the fast EMA seeded on prices 14..25, the signal an EMA(9) of the line.
    this.ema(e + 4, 0, i - MACD_FAST_FIRST, 12, K12, reg, 2);
    if (i < MACD_LINE_FIRST) {
      out[MACD] = Number.NaN; out[MACD_SIGNAL] = Number.NaN; out[MACD_HIST] = Number.NaN;
    } else {
      const line = reg[2] - out[EMA26];
      reg[1] = line;
      this.ema(e + 5, 1, i - MACD_LINE_FIRST, 9, K9, reg, 3);
      const signal = reg[3];
      const shown = i < MACD_FIRST ? Number.NaN : line;
      out[MACD] = shown;
      out[MACD_SIGNAL] = signal;
      out[MACD_HIST] = shown - signal;
    }

    // RSI(14), Wilder: seeded with the means of the first 14 moves, then (avg·13 + move) / 14.
    this.rsi(id, i, out);
  }

  /**
   * EMA number `slot` takes r[input] as its input number `j` (negative: not started); its value or
   * NaN goes to to[at].
   */
  private ema(slot: number, input: number, j: number, period: number, k: number, to: Float64Array, at: number): void {
    const s = this.s;
    const x = this.r[input];
    if (j < 0) {
      to[at] = Number.NaN;
    } else if (j < period - 1) {
      s.emaSeed[slot] += x;
      to[at] = Number.NaN;
    } else {
      if (j === period - 1) {
        s.emaSeed[slot] += x;
        s.emaValue[slot] = s.emaSeed[slot] / period;
      } else {
        s.emaValue[slot] = ((x - s.emaValue[slot]) * k) + s.emaValue[slot];
      }
      to[at] = s.emaValue[slot];
    }
  }

  private rsi(id: number, i: number, out: Float64Array): void {
    const s = this.s;
    const x = this.r[0];
    if (i === 0) {
      s.rsiPrevious[id] = x;
      s.rsiGain[id] = 0;
      s.rsiLoss[id] = 0;
      out[RSI14] = Number.NaN;
      return;
    }
    const change = x - s.rsiPrevious[id];
    s.rsiPrevious[id] = x;
    let gain = s.rsiGain[id];
    let loss = s.rsiLoss[id];
    if (i > RSI_PERIOD) {
      gain *= RSI_PERIOD - 1;
      loss *= RSI_PERIOD - 1;
    }
    if (change < 0) loss -= change;
    else gain += change;
    if (i < RSI_PERIOD) {
      s.rsiGain[id] = gain;
      s.rsiLoss[id] = loss;
      out[RSI14] = Number.NaN;
      return;
    }
    gain /= RSI_PERIOD;
    loss /= RSI_PERIOD;
    s.rsiGain[id] = gain;
    s.rsiLoss[id] = loss;
    const total = gain + loss;
    out[RSI14] = -1e-14 < total && total < 1e-14 ? 0 : 100 * (gain / total);
  }

  /** Exact two-pass re-summation of both windows around the newest price. */
  private recompute(id: number, i: number): void {
    const s = this.s;
    const ring = s.ring;
    const r = id * RING;
    const m = RING - 1;
    const c = ring[r + (i & m)];
    s.centre[id] = c;
    s.sinceRecompute[id] = 0;
    const nLong = i + 1 < LONG ? i + 1 : LONG;
    let sum = 0;
    for (let j = i - nLong + 1; j <= i; j++) sum += ring[r + (j & m)] - c;
    s.sumLong[id] = sum;
    const nShort = i + 1 < SHORT ? i + 1 : SHORT;
    sum = 0;
    for (let j = i - nShort + 1; j <= i; j++) sum += ring[r + (j & m)] - c;
    s.sumShort[id] = sum;
    const offset = sum / nShort;
    s.offsetShort[id] = offset;
    let sq = 0;
    let lin = 0;
    for (let j = i - nShort + 1; j <= i; j++) {
      const e = (ring[r + (j & m)] - c) - offset;
      sq += e * e;
      lin += e;
    }
    const m2 = sq - (lin * lin) / nShort;
    s.m2[id] = m2 > 0 ? m2 : 0;
    s.m2Peak[id] = s.m2[id];
  }
}
