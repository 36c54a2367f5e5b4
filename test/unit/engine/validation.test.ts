/**
 * Every validation rule: the tick it rejects, the reason bit and counter it sets, and proof that
 * the rejected tick changed nothing a later tick depends on: an engine that saw it and one that
 * did not give bit-identical outputs (mask, quality, sequence, all 13 indicators) for the good
 * ticks that follow.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  INDICATOR_COUNT, REASON_BACKWARDS, REASON_COUNT, REASON_CROSSED, REASON_DUPLICATE, REASON_FUTURE, REASON_NAMES,
  REASON_PRICE_INVALID, REASON_SPIKE, REASON_SPREAD, REASON_STALE,
} from '../../../src/shared/ring-layout.js';
import { REASON_UNCONFIGURED, type Engine, type SymbolLimits } from '../../../src/workers/engine.js';
import { engine } from './indicator-contract.js';

const SYM = 5;
const POINT = 1e-5;
const LIMITS: SymbolLimits = { point: POINT, maxSpreadPoints: 20, staleMs: 5000, futureToleranceMs: 1000, spikeMinPoints: 500, spikeFactor: 50 };
const T0 = 1_767_225_600_000;

interface Tick { time: number; bid: number; ask: number; last: number; volume: number; volumeReal: number; flags: number; captured: number }

/** A deterministic market: 100 ms apart, a few points per step, 1.5 points spread, 20 ms latency. */
function market(n: number, from = 0): Tick[] {
  const ticks: Tick[] = [];
  let seed = 12345;
  let mid = 1.1;
  for (let i = 0; i < from + n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    mid += (((seed >> 8) % 7) - 3) * POINT;
    if (i >= from) {
      const time = T0 + i * 100;
      ticks.push({ time, bid: mid - 0.75 * POINT, ask: mid + 0.75 * POINT, last: 0, volume: 1, volumeReal: 1, flags: 6, captured: time + 20 });
    }
  }
  return ticks;
}

function feed(e: Engine, t: Tick, symbol = SYM): number {
  return e.processTick(symbol, t.time, t.bid, t.ask, t.last, t.volume, t.volumeReal, t.flags, t.captured);
}

function row0(e: Engine): number[] {
  const out = [e.outMask[0], e.outQuality[0], e.outSeq[0]];
  for (let k = 0; k < INDICATOR_COUNT; k++) out.push(e.outInd[k][0]);
  return out;
}

/** `subject` sees the bad ticks, `reference` only the good ones. */
let subject: Engine;
let reference: Engine;
const warmUp = market(120);
const after = market(40, 120);

beforeEach(() => {
  subject = engine();
  reference = engine();
  for (const e of [subject, reference]) {
    e.configureSymbol(SYM, LIMITS);
    for (const t of warmUp) expect(feed(e, t)).toBe(0);
  }
});

function reject(t: Partial<Tick>, base: Tick = after[0]): number {
  const mask = feed(subject, { ...base, ...t });
  expect(subject.outSeq[0]).toBe(0);
  expect(subject.outQuality[0]).toBe(0);
  for (let k = 0; k < INDICATOR_COUNT; k++) expect(subject.outInd[k][0]).toBeNaN();
  return mask;
}

function expectUndisturbed(): void {
  for (const t of after) {
    const a = feed(subject, t);
    const ra = row0(subject);
    const b = feed(reference, t);
    const rb = row0(reference);
    expect(a).toBe(0);
    expect(b).toBe(0);
    expect(ra).toEqual(rb);
    ra.forEach((v, i) => { if (!Object.is(v, rb[i])) throw new Error(`output ${i} differs: ${v} vs ${rb[i]}`); });
  }
}

function reasonCount(e: Engine, bit: number): number {
  return e.counters(SYM)[2 + Math.log2(bit)];
}

describe('validation', () => {
  it('accepts a normal market and numbers accepted ticks 1, 2, 3, …', () => {
    const e = engine();
    e.configureSymbol(SYM, LIMITS);
    warmUp.forEach((t, i) => {
      expect(feed(e, t)).toBe(0);
      expect(e.outSeq[0]).toBe(i + 1);
    });
    expect([...e.counters(SYM)]).toEqual([warmUp.length, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    ['NaN bid', { bid: Number.NaN }],
    ['zero bid', { bid: 0 }],
    ['negative ask', { ask: -1.1 }],
    ['infinite ask', { ask: Number.POSITIVE_INFINITY }],
  ])('rejects %s as price_invalid without disturbing state', (_label, bad) => {
    expect(reject(bad) & REASON_PRICE_INVALID).toBe(REASON_PRICE_INVALID);
    expect(reasonCount(subject, REASON_PRICE_INVALID)).toBe(1);
    expectUndisturbed();
  });

  it('rejects ask < bid as crossed without disturbing state', () => {
    const t = after[0];
    expect(reject({ bid: t.ask, ask: t.bid })).toBe(REASON_CROSSED);
    expect(reasonCount(subject, REASON_CROSSED)).toBe(1);
    expectUndisturbed();
  });

  it('rejects a spread beyond maxSpreadPoints without disturbing state, and accepts exactly the limit', () => {
    const t = after[0];
    expect(reject({ ask: t.bid + 20.5 * POINT })).toBe(REASON_SPREAD);
    expect(reasonCount(subject, REASON_SPREAD)).toBe(1);
    expectUndisturbed();

    // 1.00002 → 1.00022 is 20.000000000020002 points in binary floating point: still 20.
    const e = engine();
    e.configureSymbol(SYM, LIMITS);
    expect((1.00022 - 1.00002) / POINT).toBeGreaterThan(20);
    expect(feed(e, { ...t, bid: 1.00002, ask: 1.00022 })).toBe(0);
  });

  it('rejects a tick older than staleMs against the capture clock without disturbing state', () => {
    const t = after[0];
    expect(reject({ captured: t.time + 5001 })).toBe(REASON_STALE);
    expect(reasonCount(subject, REASON_STALE)).toBe(1);
    expectUndisturbed();
  });

  it('accepts a tick exactly staleMs old', () => {
    const t = after[0];
    expect(feed(subject, { ...t, captured: t.time + 5000 })).toBe(0);
  });

  it('treats a NaN time as stale', () => {
    expect(reject({ time: Number.NaN }) & REASON_STALE).toBe(REASON_STALE);
    expectUndisturbed();
  });

  it('rejects a tick ahead of the capture clock beyond futureToleranceMs without disturbing state', () => {
    const t = after[0];
    expect(reject({ time: t.captured + 1001, captured: t.captured })).toBe(REASON_FUTURE);
    expect(reasonCount(subject, REASON_FUTURE)).toBe(1);
    expectUndisturbed();
  });

  it('rejects time going backwards without disturbing state, and accepts several ticks in one millisecond', () => {
    const last = warmUp[warmUp.length - 1];
    expect(reject({ time: last.time - 1 })).toBe(REASON_BACKWARDS);
    expect(reasonCount(subject, REASON_BACKWARDS)).toBe(1);
    expectUndisturbed();

    const e = engine();
    e.configureSymbol(SYM, LIMITS);
    const t = after[0];
    expect(feed(e, t)).toBe(0);
    expect(feed(e, { ...t, ask: t.ask + POINT })).toBe(0);
    expect(feed(e, { ...t, bid: t.bid - POINT })).toBe(0);
    expect(e.outSeq[0]).toBe(3);
  });

  it('rejects an exact duplicate of the last accepted tick without disturbing state', () => {
    const last = warmUp[warmUp.length - 1];
    expect(reject({}, last)).toBe(REASON_DUPLICATE);
    expect(reasonCount(subject, REASON_DUPLICATE)).toBe(1);
    expectUndisturbed();
  });

  it.each([
    ['flags', { flags: 2 }], ['volume', { volume: 2 }], ['volume_real', { volumeReal: 1.5 }], ['last', { last: 1.1 }],
  ])('accepts a tick that differs from the last only in %s', (_field, change) => {
    const last = warmUp[warmUp.length - 1];
    expect(feed(subject, { ...last, ...change })).toBe(0);
  });

  it('rejects a jump beyond spikeMinPoints without disturbing state', () => {
    const t = after[0];
    expect(reject({ bid: t.bid + 600 * POINT, ask: t.ask + 600 * POINT })).toBe(REASON_SPIKE);
    expect(reasonCount(subject, REASON_SPIKE)).toBe(1);
    expectUndisturbed();
  });

  it('rejects a jump beyond spikeFactor × recent volatility when that is the larger limit', () => {
    const e = engine();
    e.configureSymbol(SYM, { ...LIMITS, spikeMinPoints: 10, spikeFactor: 20 });
    for (const t of warmUp) expect(feed(e, t)).toBe(0);
    // The market moves ~1.7 points a tick, so 20 × volatility is ~35 points, above the 10-point
    // floor: a 25-point jump passes, a 70-point one does not.
    const [a, b] = after;
    expect(feed(e, { ...a, bid: a.bid + 25 * POINT, ask: a.ask + 25 * POINT })).toBe(0);
    expect(feed(e, { ...b, bid: b.bid + 95 * POINT, ask: b.ask + 95 * POINT })).toBe(REASON_SPIKE);
  });

  it('recovers from a genuine gap: the third agreeing spike is accepted and becomes the new level', () => {
    const gap = 800 * POINT;
    const masks = after.slice(0, 6).map((t) => feed(subject, { ...t, bid: t.bid + gap, ask: t.ask + gap }));
    expect(masks).toEqual([REASON_SPIKE, REASON_SPIKE, 0, 0, 0, 0]);
    expect(subject.counters(SYM)[0]).toBe(warmUp.length + 4);
    expect(reasonCount(subject, REASON_SPIKE)).toBe(2);
  });

  it('keeps rejecting outliers that do not agree with each other', () => {
    const masks = after.slice(0, 9).map((t, i) => {
      const jump = (i % 2 === 0 ? 1 : -1) * 900 * POINT;
      return feed(subject, { ...t, bid: t.bid + jump, ask: t.ask + jump });
    });
    expect(masks.every((m) => m === REASON_SPIKE)).toBe(true);
    expectUndisturbed();
  });

  it('forgets a pending gap when a normal tick comes back', () => {
    const gap = 800 * POINT;
    const [a, b, c] = after;
    expect(feed(subject, { ...a, bid: a.bid + gap, ask: a.ask + gap })).toBe(REASON_SPIKE);
    expect(feed(subject, { ...b, bid: b.bid + gap, ask: b.ask + gap })).toBe(REASON_SPIKE);
    expect(feed(subject, c)).toBe(0);
    expect(feed(subject, { ...after[3], bid: after[3].bid + gap, ask: after[3].ask + gap })).toBe(REASON_SPIKE);
  });

  it('sets every failing rule in one mask and counts each reason', () => {
    const last = warmUp[warmUp.length - 1];
    const mask = reject({ time: last.time - 10_000, bid: 1.2, ask: 1.1 });
    expect(mask).toBe(REASON_CROSSED | REASON_STALE | REASON_BACKWARDS | REASON_SPIKE);
    const c = subject.counters(SYM);
    expect(c[1]).toBe(1);
    expect(REASON_NAMES.map((_, i) => c[2 + i])).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    expectUndisturbed();
  });

  it('does not count ticks of unconfigured or out-of-range symbols', () => {
    const t = after[0];
    expect(feed(subject, t, 6)).toBe(REASON_UNCONFIGURED);
    expect(feed(subject, t, 10_000)).toBe(REASON_UNCONFIGURED);
    expect(feed(subject, t, -1)).toBe(REASON_UNCONFIGURED);
    expect([...subject.counters(6)]).toEqual(new Array(2 + REASON_COUNT).fill(0));
    expect(subject.isConfigured(6)).toBe(false);
    expectUndisturbed();
  });

  it('scores quality: a clean tick near 100, a wide spread lower, a rejection 0 and the symbol average drops', () => {
    const t = after[0];
    expect(feed(subject, t)).toBe(0);
    expect(subject.outQuality[0]).toBeGreaterThanOrEqual(90);
    const clean = subject.outQuality[0];
    expect(feed(subject, { ...after[1], ask: after[1].bid + 19 * POINT })).toBe(0);
    expect(subject.outQuality[0]).toBeLessThan(clean - 20);
    const before = subject.symbolQuality(SYM);
    expect(before).toBeGreaterThan(80);
    expect(before).toBeLessThanOrEqual(100);
    for (let i = 0; i < 20; i++) feed(subject, { ...after[2], time: after[2].time + i, bid: Number.NaN });
    expect(subject.symbolQuality(SYM)).toBeLessThan(before * 0.8);
  });

  it('reset forgets the last tick, indicators and counters but keeps the limits', () => {
    subject.resetSymbol(SYM);
    expect(subject.isConfigured(SYM)).toBe(true);
    expect([...subject.counters(SYM)]).toEqual(new Array(2 + REASON_COUNT).fill(0));
    expect(subject.symbolQuality(SYM)).toBeNaN();
    const fresh = engine();
    fresh.configureSymbol(SYM, LIMITS);
    // Older than the ticks before the reset: accepted, and numbered from 1 again.
    for (const t of warmUp.slice(0, 30)) {
      expect(feed(subject, t)).toBe(0);
      expect(feed(fresh, t)).toBe(0);
      expect(row0(subject)).toEqual(row0(fresh));
    }
    expect(subject.outSeq[0]).toBe(30);
  });

  it('refuses limits it cannot use, naming the setting and the value', () => {
    expect(() => subject.configureSymbol(1, { ...LIMITS, point: 0 })).toThrow(/point must be a finite number > 0, got 0/);
    expect(() => subject.configureSymbol(1, { ...LIMITS, maxSpreadPoints: Number.NaN })).toThrow(/maxSpreadPoints/);
    expect(() => subject.configureSymbol(300, LIMITS)).toThrow(RangeError);
    expect(subject.isConfigured(1)).toBe(false);
  });

  it('applies new limits to a configured symbol without forgetting its state', () => {
    const t = after[0];
    subject.configureSymbol(SYM, { ...LIMITS, maxSpreadPoints: 1 });
    expect(reject({ ask: t.bid + 2 * POINT })).toBe(REASON_SPREAD);
    subject.configureSymbol(SYM, LIMITS);
    expectUndisturbed();
  });
});
