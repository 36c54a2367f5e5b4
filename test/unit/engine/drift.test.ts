/**
 * The sliding sums behind SMA and Bollinger must not drift: over a million prices (random walk,
 * quiet and busy regimes, flat stretches, jumps, a level crossing a power of two) every output
 * stays within a tight relative error of an exact two-pass reference, late in the run as early.
 */
import { expect, it } from 'vitest';
import { INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';
import { engine } from './indicator-contract.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Quoted prices (multiples of `point`), starting just under 1.0 so the level crosses 2^0. */
function series(n: number, start: number, point: number, digits: number): Float64Array {
  const r = rng(2024);
  const out = new Float64Array(n);
  let p = start;
  let scale = 2;
  for (let i = 0; i < n; i++) {
    if (i % 50_000 === 0) scale = [0.3, 2, 8, 1][(i / 50_000) % 4];
    const flat = i % 5000 >= 4940;
    if (!flat) {
      let step = Math.round((r() - 0.5) * 2 * scale) * point;
      if (r() < 0.0005) step += (r() < 0.5 ? -1 : 1) * 40 * point;
      p = Number((p + step).toFixed(digits));
    }
    out[i] = p;
  }
  return out;
}

/** Exact enough to judge 1e-12: compensated sums, corrected two-pass variance. */
function reference(prices: Float64Array, i: number, n: number): { mean: number; sd: number } {
  const from = i - n + 1;
  const c = prices[i];
  let sum = 0;
  let comp = 0;
  for (let j = from; j <= i; j++) {
    const y = prices[j] - c - comp;
    const t = sum + y;
    comp = t - sum - y;
    sum = t;
  }
  const offset = sum / n;
  let sq = 0;
  let lin = 0;
  for (let j = from; j <= i; j++) {
    const e = prices[j] - c - offset;
    sq += e * e;
    lin += e;
  }
  const v = (sq - (lin * lin) / n) / n;
  return { mean: c + offset, sd: Math.sqrt(Math.max(v, 0)) };
}

for (const [label, start, point, digits] of [['EURUSD-like', 0.9995, 1e-5, 5], ['USDJPY-like', 150, 1e-3, 3]] as const) {
  it(`keeps SMA and Bollinger within 1e-13 of exact over 1e6 prices (${label})`, () => {
    const n = 1_000_000;
    const prices = series(n, start, point, digits);
    const e = engine();
    const k20 = INDICATOR_NAMES.indexOf('sma20');
    const k50 = INDICATOR_NAMES.indexOf('sma50');
    const kUp = INDICATOR_NAMES.indexOf('bb_upper');
    const kLo = INDICATOR_NAMES.indexOf('bb_lower');
    const worst = { sma20: 0, sma50: 0, band: 0, width: 0, lateBand: 0 };
    for (let startRow = 0; startRow < n; startRow += e.batchCapacity) {
      const size = Math.min(e.batchCapacity, n - startRow);
      e.inPrice.set(prices.subarray(startRow, startRow + size));
      e.pushPrices(1, size);
      for (let row = 0; row < size; row++) {
        const i = startRow + row;
        if (i < 49) continue;
        const r20 = reference(prices, i, 20);
        const r50 = reference(prices, i, 50);
        const up = e.outInd[kUp][row];
        const lo = e.outInd[kLo][row];
        worst.sma20 = Math.max(worst.sma20, Math.abs(e.outInd[k20][row] - r20.mean) / r20.mean);
        worst.sma50 = Math.max(worst.sma50, Math.abs(e.outInd[k50][row] - r50.mean) / r50.mean);
        const bandErr = Math.max(Math.abs(up - (r20.mean + 2 * r20.sd)), Math.abs(lo - (r20.mean - 2 * r20.sd))) / r20.mean;
        worst.band = Math.max(worst.band, bandErr);
        if (i >= n - 100_000) worst.lateBand = Math.max(worst.lateBand, bandErr);
        // The band's own width, relative to itself: the sliding variance is sound, not just small.
        if (r20.sd > 0) worst.width = Math.max(worst.width, Math.abs((up - lo) / 4 - r20.sd) / r20.sd);
        else if (up !== lo) throw new Error(`flat window at ${i} has width ${up - lo}`);
      }
    }
    expect(worst.sma20).toBeLessThan(1e-13);
    expect(worst.sma50).toBeLessThan(1e-13);
    expect(worst.band).toBeLessThan(1e-13);
    expect(worst.lateBand).toBeLessThan(1e-13);
    expect(worst.width).toBeLessThan(1e-9);
  });
}
