/**
 * The same 13 indicator outputs through the streaming APIs of two npm libraries, one object per
 * indicator per symbol, as a straightforward Node bridge would write it: SMA(20), SMA(50),
 * EMA(12, 26, 20, 50), RSI(14), MACD(12, 26, 9) and Bollinger(20, 2) on each accepted mid.
 * Validation is not theirs to do: bench/indicators.bench.ts runs the plain-TypeScript validator in
 * front of both, so every variant does the same validation work.
 *
 * Conventions differ from TA-Lib's and are reported by the benchmark, not hidden: trading-signals
 * seeds its EMAs with the first price (not the SMA of the first n), so its EMA, MACD and (through
 * its smoothing) RSI values differ early on; technicalindicators rounds RSI to two decimals.
 */
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';

/** One symbol's indicators; `push` adds a price and writes the 13 outputs (NaN = none yet). */
export interface LibraryIndicators {
  push(x: number, out: Float64Array): void;
}

const nz = (v: number | null | undefined): number => (v === null || v === undefined ? Number.NaN : v);

export class TradingSignalsIndicators implements LibraryIndicators {
  private readonly sma20 = new ts.SMA(20);
  private readonly sma50 = new ts.SMA(50);
  private readonly ema12 = new ts.EMA(12);
  private readonly ema26 = new ts.EMA(26);
  private readonly ema20 = new ts.EMA(20);
  private readonly ema50 = new ts.EMA(50);
  private readonly rsi = new ts.RSI(14);
  private readonly macd = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
  private readonly bb = new ts.BollingerBands(20, 2);

  push(x: number, out: Float64Array): void {
    out[0] = nz(this.sma20.add(x));
    out[1] = nz(this.sma50.add(x));
    out[2] = nz(this.ema12.add(x));
    out[3] = nz(this.ema26.add(x));
    out[4] = nz(this.ema20.add(x));
    out[5] = nz(this.ema50.add(x));
    out[6] = nz(this.rsi.add(x));
    const m = this.macd.add(x);
    out[7] = m === null ? Number.NaN : m.macd;
    out[8] = m === null ? Number.NaN : m.signal;
    out[9] = m === null ? Number.NaN : m.histogram;
    const b = this.bb.add(x);
    out[10] = b === null ? Number.NaN : b.upper;
    out[11] = b === null ? Number.NaN : b.middle;
    out[12] = b === null ? Number.NaN : b.lower;
  }
}

export class TechnicalIndicatorsIndicators implements LibraryIndicators {
  private readonly sma20 = new ti.SMA({ period: 20, values: [] });
  private readonly sma50 = new ti.SMA({ period: 50, values: [] });
  private readonly ema12 = new ti.EMA({ period: 12, values: [] });
  private readonly ema26 = new ti.EMA({ period: 26, values: [] });
  private readonly ema20 = new ti.EMA({ period: 20, values: [] });
  private readonly ema50 = new ti.EMA({ period: 50, values: [] });
  private readonly rsi = new ti.RSI({ period: 14, values: [] });
  private readonly macd = new ti.MACD({
    fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false, values: [],
  });
  private readonly bb = new ti.BollingerBands({ period: 20, stdDev: 2, values: [] });

  push(x: number, out: Float64Array): void {
    out[0] = nz(this.sma20.nextValue(x));
    out[1] = nz(this.sma50.nextValue(x));
    out[2] = nz(this.ema12.nextValue(x));
    out[3] = nz(this.ema26.nextValue(x));
    out[4] = nz(this.ema20.nextValue(x));
    out[5] = nz(this.ema50.nextValue(x));
    out[6] = nz(this.rsi.nextValue(x));
    const m = this.macd.nextValue(x);
    out[7] = nz(m?.MACD);
    out[8] = nz(m?.signal);
    out[9] = nz(m?.histogram);
    const b = this.bb.nextValue(x) as { upper?: number; middle?: number; lower?: number } | undefined;
    out[10] = nz(b?.upper);
    out[11] = nz(b?.middle);
    out[12] = nz(b?.lower);
  }
}
