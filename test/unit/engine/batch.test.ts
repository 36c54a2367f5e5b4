/**
 * The hot path (processBatch over the input columns) and the per-tick entry point must agree bit
 * for bit on everything: masks, quality, sequence, indicators, counters, symbol quality. A seeded
 * stream of interleaved symbols with every kind of bad tick, cut into batches of random size.
 */
import { expect, it } from 'vitest';
import { INDICATOR_COUNT, REASON_COUNT } from '../../../src/shared/ring-layout.js';
import { REASON_UNCONFIGURED, type SymbolLimits } from '../../../src/workers/engine.js';
import { engine } from './indicator-contract.js';

const SYMBOLS = [0, 3, 17, 255];
const UNCONFIGURED = 9;
const T0 = 1_767_225_600_000;

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

interface Stream {
  symbol: Int32Array; time: Float64Array; bid: Float64Array; ask: Float64Array; last: Float64Array;
  volume: Float64Array; volumeReal: Float64Array; flags: Int32Array; captured: Float64Array;
}

function stream(n: number): Stream {
  const r = rng(42);
  const s: Stream = {
    symbol: new Int32Array(n), time: new Float64Array(n), bid: new Float64Array(n), ask: new Float64Array(n),
    last: new Float64Array(n), volume: new Float64Array(n), volumeReal: new Float64Array(n), flags: new Int32Array(n),
    captured: new Float64Array(n),
  };
  const mids = SYMBOLS.map((_, j) => 1 + j * 0.25);
  let clock = T0;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 30);
    const j = Math.floor(r() * (SYMBOLS.length + 0.1));
    const sym = j < SYMBOLS.length ? SYMBOLS[j] : UNCONFIGURED;
    const m = j < SYMBOLS.length ? (mids[j] += Math.round((r() - 0.5) * 6) * 1e-5) : 1;
    let bid = m - 1e-5;
    let ask = m + 1e-5;
    let time = clock;
    let captured = clock + 5;
    const kind = r();
    if (kind < 0.01) bid = Number.NaN;
    else if (kind < 0.02) [bid, ask] = [ask, bid];
    else if (kind < 0.03) ask = bid + 50e-5;
    else if (kind < 0.04) captured = time + 6000;
    else if (kind < 0.05) time = captured + 2000;
    else if (kind < 0.06) time -= 500;
    else if (kind < 0.07) { bid += 0.02; ask += 0.02; }
    else if (kind < 0.075 && j < SYMBOLS.length) { mids[j] += 0.01; } // a genuine gap
    s.symbol[i] = sym;
    s.time[i] = time;
    s.bid[i] = bid;
    s.ask[i] = ask;
    s.last[i] = 0;
    s.volume[i] = Math.floor(r() * 3);
    s.volumeReal[i] = s.volume[i];
    s.flags[i] = 6;
    s.captured[i] = captured;
    if (kind > 0.99 && i > 0) { // an exact copy of the previous tick
      for (const col of Object.values(s)) (col as Float64Array)[i] = (col as Float64Array)[i - 1];
    }
  }
  return s;
}

it('processBatch and processTick agree bit for bit on a mixed stream with every kind of bad tick', () => {
  const n = 60_000;
  const s = stream(n);
  const limits: SymbolLimits = { point: 1e-5, maxSpreadPoints: 30, staleMs: 5000, futureToleranceMs: 1000, spikeMinPoints: 500, spikeFactor: 50 };
  const batched = engine();
  const single = engine();
  for (const id of SYMBOLS) {
    batched.configureSymbol(id, limits);
    single.configureSymbol(id, limits);
  }

  const r = rng(7);
  const reasonsSeen = new Set<number>();
  let accepted = 0;
  for (let start = 0; start < n;) {
    const size = Math.min(n - start, 1 + Math.floor(r() * batched.batchCapacity));
    batched.inSymbol.set(s.symbol.subarray(start, start + size));
    batched.inTimeMsc.set(s.time.subarray(start, start + size));
    batched.inBid.set(s.bid.subarray(start, start + size));
    batched.inAsk.set(s.ask.subarray(start, start + size));
    batched.inLast.set(s.last.subarray(start, start + size));
    batched.inVolume.set(s.volume.subarray(start, start + size));
    batched.inVolumeReal.set(s.volumeReal.subarray(start, start + size));
    batched.inFlags.set(s.flags.subarray(start, start + size));
    batched.inCapturedMs.set(s.captured.subarray(start, start + size));
    const got = batched.processBatch(size);
    let expectedAccepted = 0;
    for (let row = 0; row < size; row++) {
      const i = start + row;
      const mask = single.processTick(s.symbol[i], s.time[i], s.bid[i], s.ask[i], s.last[i], s.volume[i],
        s.volumeReal[i], s.flags[i], s.captured[i]);
      if (mask === 0) expectedAccepted++;
      for (let b = 0; b < 9; b++) if (mask & (1 << b)) reasonsSeen.add(1 << b);
      if (batched.outMask[row] !== mask || batched.outQuality[row] !== single.outQuality[0]
        || !Object.is(batched.outSeq[row], single.outSeq[0])) {
        throw new Error(`row ${i}: batch ${batched.outMask[row]}/${batched.outQuality[row]}/${batched.outSeq[row]}, tick ${mask}/${single.outQuality[0]}/${single.outSeq[0]}`);
      }
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        if (!Object.is(batched.outInd[k][row], single.outInd[k][0])) throw new Error(`row ${i} indicator ${k} differs`);
      }
    }
    expect(got).toBe(expectedAccepted);
    accepted += got;
    start += size;
  }

  // The stream really exercised every rule, and most ticks were good.
  expect([...reasonsSeen].sort((a, b) => a - b)).toEqual([...Array.from({ length: REASON_COUNT }, (_, b) => 1 << b), REASON_UNCONFIGURED]);
  expect(accepted).toBeGreaterThan(n * 0.8);
  for (const id of SYMBOLS) {
    expect([...batched.counters(id)]).toEqual([...single.counters(id)]);
    expect(batched.symbolQuality(id)).toBe(single.symbolQuality(id));
  }
  const total = SYMBOLS.reduce((sum, id) => sum + batched.counters(id)[0], 0);
  expect(total).toBe(accepted);
});

it('caps a batch at the column capacity', () => {
  const e = engine();
  e.inSymbol.fill(UNCONFIGURED);
  expect(e.processBatch(e.batchCapacity + 100)).toBe(0);
  expect(e.outMask.every((m) => m === REASON_UNCONFIGURED)).toBe(true);
});

it('processTick leaves the batch input columns as the caller filled them', () => {
  const e = engine();
  const limits: SymbolLimits = { point: 1e-5, maxSpreadPoints: 30, staleMs: 5000, futureToleranceMs: 1000, spikeMinPoints: 500, spikeFactor: 50 };
  e.configureSymbol(0, limits);
  const columns = [e.inTimeMsc, e.inBid, e.inAsk, e.inLast, e.inVolume, e.inVolumeReal, e.inCapturedMs, e.inSymbol, e.inFlags];
  columns.forEach((c, j) => { c[0] = 100 + j; c[c.length - 1] = 200 + j; });
  expect(e.processTick(0, T0, 1.1, 1.1001, 0, 1, 1, 6, T0 + 5)).toBe(0);
  columns.forEach((c, j) => expect([c[0], c[c.length - 1]]).toEqual([100 + j, 200 + j]));
});
