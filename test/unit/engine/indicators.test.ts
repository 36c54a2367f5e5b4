import { describe, expect, it } from 'vitest';
import { INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';
import { agreement, column, FIXTURE_FILES, loadFixture, type Fixture } from './fixtures.js';
import { engine, fixtureRuns, testIndicatorContract, type IndicatorSpec } from './indicator-contract.js';

/**
 * eurusd-10k.csv has three macd_hist cells whose exponent lost its last digit ("3.15…e-1" where
 * macd − macd_signal on the same row is 3.15…e-10). There the engine must equal the fixture's own
 * macd − macd_signal.
 */
const truncatedExponent = {
  rows: [3508, 5522, 9007],
  check(f: Fixture, row: number, actual: number) {
    const own = column(f, 'macd')[row] - column(f, 'macd_signal')[row];
    expect(Math.abs(column(f, 'macd_hist')[row] - own)).toBeGreaterThan(0.1);
    expect(actual).toBe(own);
  },
};

/** TA-Lib's SMA carries its running-sum drift (~3e-15 here); DESIGN.md asks for ~1e-12. */
const TA_LIB_RELATIVE = 1e-12;
/** Against the 40-digit bands the engine is within an ulp (2e-16 observed); keep it that tight. */
const EXACT_RELATIVE = 1e-15;
const specs: IndicatorSpec[] = [
  { name: 'sma20', firstIndex: 19, reference: 'sma20', tolerance: TA_LIB_RELATIVE },
  { name: 'sma50', firstIndex: 49, reference: 'sma50', tolerance: TA_LIB_RELATIVE },
  { name: 'ema12', firstIndex: 11, reference: 'ema12', tolerance: 'identical' },
  { name: 'ema26', firstIndex: 25, reference: 'ema26', tolerance: 'identical' },
  { name: 'ema20', firstIndex: 19, reference: 'ema20', tolerance: 'identical' },
  { name: 'ema50', firstIndex: 49, reference: 'ema50', tolerance: 'identical' },
  { name: 'rsi14', firstIndex: 14, reference: 'rsi14', tolerance: 'identical' },
  { name: 'macd', firstIndex: 33, reference: 'macd', tolerance: 'identical' },
  { name: 'macd_signal', firstIndex: 33, reference: 'macd_signal', tolerance: 'identical' },
  { name: 'macd_hist', firstIndex: 33, reference: 'macd_hist', tolerance: 'identical', knownDefects: { 'eurusd-10k.csv': truncatedExponent } },
  { name: 'bb_upper', firstIndex: 19, reference: 'bb_upper_exact', tolerance: EXACT_RELATIVE },
  { name: 'bb_middle', firstIndex: 19, reference: 'bb_middle', tolerance: TA_LIB_RELATIVE },
  { name: 'bb_lower', firstIndex: 19, reference: 'bb_lower_exact', tolerance: EXACT_RELATIVE },
];

it('covers every indicator column, in INDICATOR_NAMES order', () => {
  expect(specs.map((s) => s.name)).toEqual([...INDICATOR_NAMES]);
});

for (const spec of specs) testIndicatorContract(spec);

describe('Bollinger bands', () => {
  for (const file of FIXTURE_FILES) {
    it(`are at least 1000 times closer to the exact bands than TA-Lib's own (${file})`, () => {
      const f = loadFixture(file);
      const r = fixtureRuns(file);
      for (const side of ['bb_upper', 'bb_lower'] as const) {
        const ours = agreement(r.batch[INDICATOR_NAMES.indexOf(side)], column(f, `${side}_exact`));
        const taLib = agreement(column(f, side), column(f, `${side}_exact`));
        expect(taLib.maxRel).toBeGreaterThan(1e-10); // the fixture shows TA-Lib's sum-of-squares error
        expect(ours.maxRel * 1000).toBeLessThan(taLib.maxRel);
      }
    });
  }

  it('collapse to the price exactly over a window of identical prices', () => {
    const e = engine();
    const upper = INDICATOR_NAMES.indexOf('bb_upper');
    const lower = INDICATOR_NAMES.indexOf('bb_lower');
    const middle = INDICATOR_NAMES.indexOf('bb_middle');
    let price = 1.1;
    for (let i = 0; i < 300; i++) e.pushPrice(0, (price += (i % 7) * 1e-5 - 3e-5));
    const flat = price;
    for (let i = 0; i < 25; i++) {
      e.pushPrice(0, flat);
      if (i >= 19) {
        expect(e.outInd[upper][0]).toBe(flat);
        expect(e.outInd[middle][0]).toBe(flat);
        expect(e.outInd[lower][0]).toBe(flat);
      }
    }
  });
});

describe('series reset', () => {
  it('starts the warm-up again and reproduces a fresh series bit for bit', () => {
    const f = loadFixture(FIXTURE_FILES[1]);
    const prices = column(f, 'price');
    const fresh = fixtureRuns(FIXTURE_FILES[1]).batch;
    const e = engine();
    for (let i = 0; i < 777; i++) e.pushPrice(9, prices[f.rows - 1 - i]);
    e.resetSeries(9);
    for (let i = 0; i < 200; i++) {
      e.pushPrice(9, prices[i]);
      for (let k = 0; k < INDICATOR_NAMES.length; k++) {
        if (!Object.is(e.outInd[k][0], fresh[k][i])) throw new Error(`${INDICATOR_NAMES[k]} differs at ${i} after reset`);
      }
    }
  });
});

describe('RSI of a flat market', () => {
  it('is 0 as in TA-Lib when gains plus losses are zero', () => {
    const e = engine();
    const rsi = INDICATOR_NAMES.indexOf('rsi14');
    for (let i = 0; i < 30; i++) e.pushPrice(0, 1.2345);
    expect(e.outInd[rsi][0]).toBe(0);
  });
});
