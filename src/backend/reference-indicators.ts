/**
 * The reference backend's own indicator implementation: plain TypeScript, one small class per
 * indicator, written for clarity. It is the independent check on the production WASM engine
 * (assembly/), so it deliberately shares no code with it and, where the engine is clever, this
 * one is plain: SMA and Bollinger re-scan their window on every tick (two passes for the
 * deviation) where the engine keeps O(1) running sums. At ~110 additions a tick that is still far
 * beyond the ~50k ticks/s the backend must keep up with.
 *
 * Conventions are TA-Lib 0.6.0's, with its order of operations, so that EMA, RSI and MACD come
 * out bit-identical to the oracle fixtures in shared/fixtures/indicators/:
 *   EMA(n)          k = 2/(n+1); seeded with the SMA of the first n values; first value at n-1;
 *                   then ema = (x - ema)*k + ema
 *   RSI(14)         Wilder; seeded with the means of the first 14 gains and losses (first value
 *                   at index 14); then avg = (avg*13 + move)/14; 0 when gain+loss is within 1e-14 of 0
 *   MACD(12,26,9)   slow = EMA26; the fast EMA12 is seeded with the SMA of the 12 prices ending at
 *                   index 25 (TA-Lib aligns it to the slow one); line = fast - slow; signal = EMA9
 *                   of the line from index 25; line, signal and histogram all start at index 33
 *   BBANDS(20,2,2)  middle = SMA20; population deviation; bands = middle ± 2·sd
 */
import { INDICATOR_COUNT, INDICATOR_NAMES } from '../shared/ring-layout.js';

type IndicatorName = (typeof INDICATOR_NAMES)[number];
const at = (name: IndicatorName): number => INDICATOR_NAMES.indexOf(name);
const SMA20 = at('sma20');
const SMA50 = at('sma50');
const EMA12 = at('ema12');
const EMA26 = at('ema26');
const EMA20 = at('ema20');
const EMA50 = at('ema50');
const RSI14 = at('rsi14');
const MACD = at('macd');
const MACD_SIGNAL = at('macd_signal');
const MACD_HIST = at('macd_hist');
const BB_UPPER = at('bb_upper');
const BB_MIDDLE = at('bb_middle');
const BB_LOWER = at('bb_lower');

/** The last `length` values pushed, oldest first when read with `get(0 .. size-1)`. */
class Window {
  private readonly data: Float64Array;
  private next = 0;
  size = 0;

  constructor(readonly length: number) {
    this.data = new Float64Array(length);
  }

  push(x: number): void {
    this.data[this.next] = x;
    this.next = this.next + 1 === this.length ? 0 : this.next + 1;
    if (this.size < this.length) this.size++;
  }

  get full(): boolean {
    return this.size === this.length;
  }

  /** The i-th oldest value of a full window. */
  get(i: number): number {
    const j = this.next + i;
    return this.data[j < this.length ? j : j - this.length];
  }

  /** Sum oldest to newest, the order TA-Lib's seeds add in. */
  sum(): number {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.get(i);
    return total;
  }
}

export class Sma {
  private readonly window: Window;
  value = NaN;

  constructor(readonly period: number) {
    this.window = new Window(period);
  }

  push(x: number): void {
    this.window.push(x);
    if (this.window.full) this.value = this.window.sum() / this.period;
  }
}

export class Ema {
  private readonly k: number;
  private seen = 0;
  private seedSum = 0;
  value = NaN;

  constructor(readonly period: number) {
    this.k = 2 / (period + 1);
  }

  /** Starts from a given previous value instead of the SMA seed (MACD's aligned fast EMA). */
  seed(value: number): void {
    this.value = value;
    this.seen = this.period;
  }

  push(x: number): void {
    if (this.seen >= this.period) {
      this.value = (x - this.value) * this.k + this.value;
      return;
    }
    this.seedSum += x;
    if (++this.seen === this.period) this.value = this.seedSum / this.period;
  }
}

export class WilderRsi {
  private seen = 0;
  private prev = 0;
  private gain = 0;
  private loss = 0;
  value = NaN;

  constructor(readonly period: number) {}

  push(x: number): void {
    const index = this.seen++;
    if (index === 0) {
      this.prev = x;
      return;
    }
    const move = x - this.prev;
    this.prev = x;
    if (index > this.period) {
      this.loss *= this.period - 1;
      this.gain *= this.period - 1;
    }
    if (move < 0) this.loss -= move;
    else this.gain += move;
    if (index < this.period) return;
    this.loss /= this.period;
    this.gain /= this.period;
    const total = this.gain + this.loss;
    this.value = total > -1e-14 && total < 1e-14 ? 0 : 100 * (this.gain / total);
  }
}

/** MACD with TA-Lib's alignment of the fast EMA to the slow one. */
export class Macd {
  private readonly slow: Ema;
  private readonly fast: Ema;
  private readonly signalEma: Ema;
  /** The prices the fast EMA's seed is taken from: the `fastPeriod` ending where the slow EMA starts. */
  private readonly recent: Window;
  private seen = 0;
  line = NaN;
  signal = NaN;
  histogram = NaN;

  constructor(readonly fastPeriod = 12, readonly slowPeriod = 26, readonly signalPeriod = 9) {
    this.slow = new Ema(slowPeriod);
    this.fast = new Ema(fastPeriod);
    this.signalEma = new Ema(signalPeriod);
    this.recent = new Window(fastPeriod);
  }

  push(x: number): void {
    const index = this.seen++;
    this.slow.push(x);
    if (index < this.slowPeriod - 1) {
      this.recent.push(x);
      return;
    }
    if (index === this.slowPeriod - 1) {
      this.recent.push(x);
      this.fast.seed(this.recent.sum() / this.fastPeriod);
    } else {
      this.fast.push(x);
    }
    const line = this.fast.value - this.slow.value;
    this.signalEma.push(line);
    if (Number.isNaN(this.signalEma.value)) return;
    this.line = line;
    this.signal = this.signalEma.value;
    this.histogram = line - this.signal;
  }
}

/** Bollinger bands, population deviation computed two-pass over the window on every tick. */
export class Bollinger {
  private readonly window: Window;
  upper = NaN;
  middle = NaN;
  lower = NaN;

  constructor(readonly period = 20, readonly deviations = 2) {
    this.window = new Window(period);
  }

  push(x: number): void {
    const w = this.window;
    w.push(x);
    if (!w.full) return;
    const mean = w.sum() / this.period;
    let squares = 0;
    for (let i = 0; i < this.period; i++) {
      const d = w.get(i) - mean;
      squares += d * d;
    }
    const band = Math.sqrt(squares / this.period) * this.deviations;
    this.middle = mean;
    this.upper = mean + band;
    this.lower = mean - band;
  }
}

/**
 * The 13 indicators of one symbol, streaming: `push` one price (the tick's mid) at a time, then
 * read `values` in INDICATOR_NAMES order, NaN where the indicator has no value yet.
 */
export class ReferenceIndicators {
  readonly values = new Float64Array(INDICATOR_COUNT).fill(NaN);
  private readonly sma20 = new Sma(20);
  private readonly sma50 = new Sma(50);
  private readonly ema12 = new Ema(12);
  private readonly ema26 = new Ema(26);
  private readonly ema20 = new Ema(20);
  private readonly ema50 = new Ema(50);
  private readonly rsi14 = new WilderRsi(14);
  private readonly macd = new Macd(12, 26, 9);
  private readonly bb = new Bollinger(20, 2);
  /** Prices pushed so far. */
  count = 0;

  push(price: number): void {
    this.count++;
    this.sma20.push(price);
    this.sma50.push(price);
    this.ema12.push(price);
    this.ema26.push(price);
    this.ema20.push(price);
    this.ema50.push(price);
    this.rsi14.push(price);
    this.macd.push(price);
    this.bb.push(price);
    const v = this.values;
    v[SMA20] = this.sma20.value;
    v[SMA50] = this.sma50.value;
    v[EMA12] = this.ema12.value;
    v[EMA26] = this.ema26.value;
    v[EMA20] = this.ema20.value;
    v[EMA50] = this.ema50.value;
    v[RSI14] = this.rsi14.value;
    v[MACD] = this.macd.line;
    v[MACD_SIGNAL] = this.macd.signal;
    v[MACD_HIST] = this.macd.histogram;
    v[BB_UPPER] = this.bb.upper;
    v[BB_MIDDLE] = this.bb.middle;
    v[BB_LOWER] = this.bb.lower;
  }
}
