import { describe, expect, test } from 'vitest';
import { AGE_BUCKETS, ageBucket, bucketUpperMs, formatAges, recordAge, summarizeAges } from '../../../src/shared/age-histogram.js';

describe('age histogram', () => {
  test('an age falls in the bucket whose upper bound is the first at or above it, within 19 %', () => {
    for (const ms of [0.011, 0.05, 0.26, 1, 3.3, 20]) {
      const k = ageBucket(ms);
      expect(bucketUpperMs(k)).toBeGreaterThanOrEqual(ms);
      expect(bucketUpperMs(k)).toBeLessThan(ms * 1.19 + 1e-12);
    }
    expect(ageBucket(0)).toBe(0);
    expect(ageBucket(-3)).toBe(0); // a clock step backwards counts as no age, not as garbage
    expect(ageBucket(Number.NaN)).toBe(0);
    expect(ageBucket(1e9)).toBe(AGE_BUCKETS - 1); // everything above ~34 ms shares the last bucket
  });

  test('quantiles over several threads\' histograms: 990 fast batches and 10 slow ones', () => {
    const a = new Float64Array(10 + AGE_BUCKETS);
    const b = new Float64Array(AGE_BUCKETS);
    for (let i = 0; i < 600; i++) recordAge(a, 10, 0.05);
    for (let i = 0; i < 390; i++) recordAge(b, 0, 0.2);
    for (let i = 0; i < 10; i++) recordAge(b, 0, 5);
    const s = summarizeAges([{ stats: a, offset: 10 }, { stats: b, offset: 0 }]);
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(bucketUpperMs(ageBucket(0.05)), 3);
    expect(s.p99).toBeCloseTo(bucketUpperMs(ageBucket(0.2)), 3); // the 990th of 1000
    expect(s.p999).toBeCloseTo(bucketUpperMs(ageBucket(5)), 3);
    expect(a.slice(0, 10).every((x) => x === 0)).toBe(true); // nothing written outside the histogram
    expect(formatAges(s)).toMatch(/^p50 0\.0\d+ \/ p99 0\.2\d* \/ p99\.9 5\.\d+ ms \(1000 batches\)$/);
  });

  test('an empty histogram summarizes as zeros', () => {
    expect(summarizeAges([{ stats: new Float64Array(AGE_BUCKETS), offset: 0 }])).toEqual({ p50: 0, p99: 0, p999: 0, count: 0 });
  });
});
