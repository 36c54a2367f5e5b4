import { describe, expect, test } from 'vitest';
import { ReferenceIndicators } from '../../../src/backend/reference-indicators.js';
import { INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';
import { fixtureFiles, loadFixture, type IndicatorFixture } from './indicator-fixtures.js';

const REL_TOLERANCE = 1e-12;
const TALIB_COLUMNS = INDICATOR_NAMES.filter((n) => n !== 'bb_upper' && n !== 'bb_lower');
/** TA-Lib's own bands carry its Σx²/N − mean² error; ours are checked against the exact columns. */
const EXACT_BANDS = [['bb_upper', 'bb_upper_exact'], ['bb_lower', 'bb_lower_exact']] as const;

/**
 * Rows where the fixture's macd_hist contradicts its own macd − macd_signal: the digits are right
 * but the exponent lost a digit (e-10 printed as e-1). Listed so that the test says so openly and
 * fails if the fixture changes.
 */
const CORRUPT_HIST_ROWS: Record<string, number[]> = { 'eurusd-10k.csv': [3508, 5522, 9007] };

function run(fixture: IndicatorFixture): Float64Array[] {
  const ref = new ReferenceIndicators();
  const out = INDICATOR_NAMES.map(() => new Float64Array(fixture.prices.length));
  for (let i = 0; i < fixture.prices.length; i++) {
    ref.push(fixture.prices[i]);
    for (let k = 0; k < out.length; k++) out[k][i] = ref.values[k];
  }
  return out;
}

/** Largest error relative to max(|expected|, |price|): the price is the floor for values near 0 (MACD). */
function compare(got: Float64Array, expected: Float64Array, prices: Float64Array, skip: number[] = []) {
  let warmupMismatches = 0;
  let maxRelError = 0;
  let compared = 0;
  for (let i = 0; i < got.length; i++) {
    if (skip.includes(i)) continue;
    if (Number.isNaN(got[i]) !== Number.isNaN(expected[i])) warmupMismatches++;
    if (Number.isNaN(got[i]) || Number.isNaN(expected[i])) continue;
    compared++;
    const scale = Math.max(Math.abs(expected[i]), Math.abs(prices[i]));
    maxRelError = Math.max(maxRelError, Math.abs(got[i] - expected[i]) / scale);
  }
  return { warmupMismatches, maxRelError, compared };
}

describe.each(fixtureFiles())('reference indicators vs TA-Lib 0.6.0 fixture %s', (file) => {
  const fixture = loadFixture(file);
  const got = run(fixture);
  const col = (name: string) => got[INDICATOR_NAMES.indexOf(name as (typeof INDICATOR_NAMES)[number])];

  test('warm-up: first values at TA-Lib lookback indices', () => {
    const first = (values: Float64Array) => values.findIndex((v) => !Number.isNaN(v));
    expect(Object.fromEntries(INDICATOR_NAMES.map((n) => [n, first(col(n))]))).toEqual({
      sma20: 19, sma50: 49, ema12: 11, ema26: 25, ema20: 19, ema50: 49, rsi14: 14,
      macd: 33, macd_signal: 33, macd_hist: 33, bb_upper: 19, bb_middle: 19, bb_lower: 19,
    });
    for (const name of INDICATOR_NAMES) {
      expect(first(fixture.columns.get(name)!), name).toBe(first(col(name)));
    }
  });

  test.each(TALIB_COLUMNS)('%s agrees with TA-Lib to 1e-12 relative', (name) => {
    const skip = name === 'macd_hist' ? CORRUPT_HIST_ROWS[file] ?? [] : [];
    const r = compare(col(name), fixture.columns.get(name)!, fixture.prices, skip);
    expect(r.warmupMismatches).toBe(0);
    expect(r.compared).toBeGreaterThan(fixture.prices.length - 60);
    expect(r.maxRelError).toBeLessThan(REL_TOLERANCE);
  });

  test.each(EXACT_BANDS)('%s agrees with the exact (40-digit) band %s to 1e-12 relative', (name, exact) => {
    const r = compare(col(name), fixture.columns.get(exact)!, fixture.prices);
    expect(r.warmupMismatches).toBe(0);
    expect(r.maxRelError).toBeLessThan(REL_TOLERANCE);
    // And TA-Lib's own bands are only within its sum-of-squares error of ours.
    expect(compare(col(name), fixture.columns.get(name)!, fixture.prices).maxRelError).toBeLessThan(1e-7);
  });

  test('the fixture rows skipped for macd_hist are self-contradictory, and ours equals macd − signal there', () => {
    const hist = fixture.columns.get('macd_hist')!;
    const line = fixture.columns.get('macd')!;
    const signal = fixture.columns.get('macd_signal')!;
    const contradictory: number[] = [];
    for (let i = 0; i < hist.length; i++) {
      if (!Number.isNaN(hist[i]) && Math.abs(line[i] - signal[i] - hist[i]) > 1e-12) contradictory.push(i);
    }
    expect(contradictory).toEqual(CORRUPT_HIST_ROWS[file] ?? []);
    for (const i of contradictory) expect(col('macd_hist')[i]).toBe(line[i] - signal[i]);
  });
});

describe('ReferenceIndicators streaming', () => {
  test('symbols do not share state: interleaved instances equal separate runs', () => {
    const [a, b] = fixtureFiles().map(loadFixture);
    const solo = run(a);
    const x = new ReferenceIndicators();
    const y = new ReferenceIndicators();
    for (let i = 0; i < 200; i++) {
      x.push(a.prices[i]);
      y.push(b.prices[i]);
      for (let k = 0; k < INDICATOR_NAMES.length; k++) expect(x.values[k]).toBe(solo[k][i]);
    }
  });

  test('flat prices: RSI is 0 (no gains or losses) and the bands collapse onto the middle', () => {
    const ref = new ReferenceIndicators();
    for (let i = 0; i < 60; i++) ref.push(1.2345);
    const v = (name: (typeof INDICATOR_NAMES)[number]) => ref.values[INDICATOR_NAMES.indexOf(name)];
    expect(v('rsi14')).toBe(0);
    expect(Math.abs(v('macd'))).toBeLessThan(1e-15);
    expect(Math.abs(v('bb_upper') - v('bb_middle'))).toBeLessThan(1e-15);
    expect(Math.abs(v('bb_lower') - v('bb_middle'))).toBeLessThan(1e-15);
    expect(v('sma50')).toBeCloseTo(1.2345, 14);
  });
});
