import { describe, expect, test } from 'vitest';
import { LatencyHistogram } from '../../../src/backend/latency-histogram.js';
import { rng } from './stream-builder.js';

describe('LatencyHistogram', () => {
  test('percentiles within the 1/32 bucket resolution of the exact ones', () => {
    const h = new LatencyHistogram();
    const random = rng(42);
    const samples: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.exp(random() * 12 - 6); // 2.5 us .. 400 ms, log-uniform
      samples.push(ms);
      h.recordMs(ms);
    }
    samples.sort((a, b) => a - b);
    const exact = (q: number) => samples[Math.ceil(q * samples.length) - 1];
    const s = h.summaryMs();
    expect(s.count).toBe(100_000);
    for (const [q, got] of [[0.5, s.p50], [0.99, s.p99], [0.999, s.p999]] as const) {
      expect(Math.abs(got - exact(q)) / exact(q)).toBeLessThan(1 / 32 + 0.002);
    }
    expect(s.max).toBeCloseTo(samples[samples.length - 1], 3);
  });

  test('negative latencies (clock skew) count as 0 and are reported; empty is all zeros', () => {
    expect(new LatencyHistogram().summaryMs()).toEqual({ p50: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0, negative: 0 });
    const h = new LatencyHistogram();
    h.recordMs(-0.5);
    h.recordMs(0.004);
    expect(h.summaryMs()).toMatchObject({ count: 2, negative: 1, p50: 0, max: 0.004 });
  });
});
