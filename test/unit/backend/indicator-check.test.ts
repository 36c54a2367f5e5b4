import { describe, expect, test } from 'vitest';
import { IndicatorChecker } from '../../../src/backend/indicator-check.js';
import { INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';

const idx = (name: (typeof INDICATOR_NAMES)[number]) => INDICATOR_NAMES.indexOf(name);

describe('IndicatorChecker', () => {
  test('values near 0 (MACD) are judged against the price they were computed from', () => {
    const expected = new Float64Array(INDICATOR_NAMES.length).fill(NaN);
    expected[idx('macd')] = 3.1e-5;
    const checker = new IndicatorChecker(1e-9);
    // 1e-12 off: 3e-8 relative to the MACD value itself, but 1e-12 relative to a 1.08 mid.
    expect(checker.check({ macd_line: 3.1e-5 + 1e-12 }, expected, 1.08, 'c', 'EURUSD', 1)).toBe(0);
    expect(checker.check({ macd_line: 3.1e-5 + 1e-8 }, expected, 1.08, 'c', 'EURUSD', 2)).toBe(1);
  });

  test('presence must match; NaN on the wire is a mismatch; RSI uses its 0..100 range as floor', () => {
    const expected = new Float64Array(INDICATOR_NAMES.length).fill(NaN);
    expected[idx('rsi14')] = 0;
    const checker = new IndicatorChecker(1e-9);
    expect(checker.check({ rsi: 5e-8 }, expected, 150, 'c', 'USDJPY', 1)).toBe(0);
    expect(checker.check({ rsi: 1e-6 }, expected, 150, 'c', 'USDJPY', 2)).toBe(1);
    expect(checker.check(null, expected, 150, 'c', 'USDJPY', 3)).toBe(1);
    expect(checker.check({ rsi: 0, sma_20: 150 }, expected, 150, 'c', 'USDJPY', 4)).toBe(1);
    expect(checker.check({ rsi: NaN }, expected, 150, 'c', 'USDJPY', 5)).toBe(1);
    expect(checker.mismatches).toBe(4);
    expect(checker.examples.map((e) => [e.sequence_number, e.indicator, e.expected, e.received])).toEqual([
      [2, 'rsi14', 0, 1e-6], [3, 'rsi14', 0, null], [4, 'sma20', null, 150], [5, 'rsi14', 0, NaN],
    ]);
  });
});
