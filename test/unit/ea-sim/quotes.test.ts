// The quote generator's promises to the bridge: realistic symbols, good ticks that the bridge's
// validation accepts (never a duplicate, never back in time, never a spike), bad ticks at the
// configured rate that it rejects for the intended reason, and the same stream for the same seed.
import { describe, expect, it } from 'vitest';
import {
  BAD_TICK_KINDS, KIND_GOOD, MAX_GOOD_MID_STEP_POINTS, QuoteGenerator, type BadTickKind,
} from '../../../src/ea-sim/quotes.js';
import { RateSchedule } from '../../../src/ea-sim/rate.js';
import { buildSymbolProfiles, symbolSpec } from '../../../src/ea-sim/symbols.js';
import {
  REASON_BACKWARDS, REASON_CROSSED, REASON_DUPLICATE, REASON_FUTURE, REASON_PRICE_INVALID, REASON_SPIKE,
  REASON_STALE,
} from '../../../src/shared/ring-layout.js';
import { BridgeRules } from './bridge-rules.js';

const OFFSET_MS = 7200 * 1000;
const START_UTC = Date.UTC(2024, 5, 10, 8, 0, 0);

interface Gen {
  symbol: number; kind: number; timeMsc: number; bid: number; ask: number; last: number; volume: number;
  flags: number; volumeReal: number;
}

/** Runs `n` ticks, ten per millisecond of arrival time, calling `each(arrivalUtc)` after each. */
function run(gen: QuoteGenerator, n: number, each: (arrivalUtc: number) => void): void {
  for (let i = 0; i < n; i++) {
    const arrival = START_UTC + Math.floor(i / 10);
    gen.next(arrival + OFFSET_MS);
    each(arrival);
  }
}

const snapshot = (g: Gen) => [g.symbol, g.kind, g.timeMsc, g.bid, g.ask, g.last, g.volume, g.flags, g.volumeReal];

describe('symbols', () => {
  it('starts with the ten majors at realistic prices, with 3 digits for the yen pairs', () => {
    const p = buildSymbolProfiles(10);
    expect(p.map((s) => s.name)).toEqual(['EURUSD', 'GBPUSD', 'USDJPY', 'USDCHF', 'AUDUSD', 'USDCAD', 'NZDUSD', 'EURGBP', 'EURJPY', 'GBPJPY']);
    for (const s of p) {
      expect(s.digits).toBe(s.name.endsWith('JPY') ? 3 : 5);
      expect(s.point).toBe(s.digits === 3 ? 0.001 : 0.00001);
      expect(s.maxSpreadPoints).toBeLessThanOrEqual(60);
    }
    expect(p[0].startBidPoints * p[0].point).toBeCloseTo(1.085, 3);
    expect(p[2].startBidPoints * p[2].point).toBeCloseTo(150, 1);
    expect(symbolSpec(p[0])).toEqual({
      name: 'EURUSD', digits: 5, point: 0.00001, contract_size: 100000, volume_min: 0.01, volume_step: 0.01, volume_max: 100,
      stops_level: 0, freeze_level: 0, filling_modes: 3,
      tick_size: 0.00001, trade_mode: 4, execution_mode: 2, order_modes: 127, expiration_modes: 7,
    });
  });

  it('adds crosses, then synthetic names, all distinct', () => {
    const p = buildSymbolProfiles(40);
    expect(p[10].name).toBe('EURCHF');
    expect(p.find((s) => s.name === 'CHFJPY')?.digits).toBe(3);
    expect(p[28].name).toBe('SIM0029');
    expect(new Set(p.map((s) => s.name)).size).toBe(40);
  });
});

describe('good ticks', () => {
  const profiles = buildSymbolProfiles(12);
  const gen = new QuoteGenerator({ symbols: profiles, seed: 7, invalidRate: 0 });
  const rules = new BridgeRules();
  const prev = profiles.map(() => null as null | { time: number; bid: number; ask: number; flags: number });
  let rejected = 0;
  let maxSpread = 0;
  let maxStep = 0;
  let maxDrift = 0;
  let undocumented = 0;
  let sharedMs = 0;
  let flagMismatch = 0;
  let offGrid = 0;
  let notGood = 0;
  let minSpread = Infinity;
  let backwards = 0;
  let repeated = 0;
  run(gen, 200_000, (arrival) => {
    const s = gen.symbol;
    const p = profiles[s];
    if (gen.kind !== KIND_GOOD) notGood++;
    if (rules.validate(s, p.point, gen.timeMsc - OFFSET_MS, gen.bid, gen.ask, gen.last, gen.volume, gen.volumeReal, gen.flags, arrival) !== 0) rejected++;
    const bidPoints = gen.bid * 10 ** p.digits;
    const askPoints = gen.ask * 10 ** p.digits;
    if (Math.abs(bidPoints - Math.round(bidPoints)) > 1e-6 || Math.abs(askPoints - Math.round(askPoints)) > 1e-6) offGrid++;
    const spread = Math.round(askPoints - bidPoints);
    maxSpread = Math.max(maxSpread, spread);
    minSpread = Math.min(minSpread, spread);
    maxDrift = Math.max(maxDrift, Math.abs(Math.round(bidPoints) - p.startBidPoints));
    if ((gen.flags & ~0x7e) !== 0) undocumented++;
    const last = prev[s];
    if (last) {
      if (gen.timeMsc < last.time) backwards++;
      if (gen.timeMsc === last.time) sharedMs++;
      if (gen.bid === last.bid && gen.ask === last.ask) repeated++;
      const step = Math.abs((gen.bid + gen.ask) / 2 - (last.bid + last.ask) / 2) / p.point;
      maxStep = Math.max(maxStep, step);
      const expected = (gen.bid !== last.bid ? 2 : 0) | (gen.ask !== last.ask ? 4 : 0);
      if ((gen.flags & 0x7e) !== expected) flagMismatch++;
    }
    prev[s] = { time: gen.timeMsc, bid: gen.bid, ask: gen.ask, flags: gen.flags };
  });

  it('are all accepted by the bridge rules: never back in time, never a repeat of the previous one', () => {
    expect(notGood).toBe(0);
    expect(rejected).toBe(0);
    expect(backwards).toBe(0);
    expect(repeated).toBe(0);
  });
  it('sit on the symbol\'s price grid with a spread of 1 to 40 points (the bridge allows 100)', () => {
    expect(offGrid).toBe(0);
    expect(minSpread).toBeGreaterThanOrEqual(1);
    expect(maxSpread).toBeLessThanOrEqual(40);
  });
  it('move the mid by at most the documented step, far below the 500-point spike floor', () => {
    expect(maxStep).toBeLessThanOrEqual(MAX_GOOD_MID_STEP_POINTS + 1e-6);
    expect(maxStep).toBeGreaterThanOrEqual(10); // the occasional jump of tens of points happens
  });
  it('stay within a band around the start price (a restarted simulator does not look like a spike)', () => {
    expect(maxDrift).toBeLessThan(230);
  });
  it('flag what changed, with undocumented bits now and then, and share milliseconds', () => {
    expect(flagMismatch).toBe(0);
    expect(undocumented).toBeGreaterThan(1000);
    expect(sharedMs).toBeGreaterThan(1000);
  });
});

describe('bad ticks', () => {
  const profiles = buildSymbolProfiles(10);
  const N = 100_000;
  const RATE = 0.01;
  const gen = new QuoteGenerator({ symbols: profiles, seed: 42, invalidRate: RATE });
  const rules = new BridgeRules();
  const counts = Object.fromEntries(BAD_TICK_KINDS.map((k) => [k, 0])) as Record<BadTickKind, number>;
  const wrongReason: string[] = [];
  let goodRejected = 0;
  let badAccepted = 0;
  let lag = 0;
  const expectedBit: Record<BadTickKind, number> = {
    crossed: REASON_CROSSED, zero_price: REASON_PRICE_INVALID, nan_price: REASON_PRICE_INVALID, stale: REASON_STALE,
    future: REASON_FUTURE, time_backwards: REASON_BACKWARDS, duplicate: REASON_DUPLICATE, spike: REASON_SPIKE,
  };
  run(gen, N, (arrival) => {
    // The bridge's clock: receipt of a live frame (up to 1 s after arrival, beyond that the EA sends
    // backfill) or a backfill frame's captured_at_ms (up to 1 s after the oldest tick's arrival).
    lag = (lag + 337) % 1000;
    const p = profiles[gen.symbol];
    const mask = rules.validate(gen.symbol, p.point, gen.timeMsc - OFFSET_MS, gen.bid, gen.ask, gen.last, gen.volume,
      gen.volumeReal, gen.flags, arrival + lag);
    if (gen.kind === KIND_GOOD) {
      if (mask !== 0) goodRejected++;
      return;
    }
    const kind = BAD_TICK_KINDS[gen.kind - 1];
    counts[kind]++;
    if (mask === 0) badAccepted++;
    else if ((mask & expectedBit[kind]) === 0 || (kind === 'time_backwards' && (mask & REASON_STALE) !== 0)) {
      wrongReason.push(`${kind}: mask ${mask}`);
    }
  });

  it('are rejected, every one, and no good tick is', () => {
    expect(badAccepted).toBe(0);
    expect(goodRejected).toBe(0);
  });

  it('are rejected for the reason they were made for (backwards ticks are not stale)', () => {
    expect(wrongReason).toEqual([]);
  });

  it('come at the configured rate, cycling evenly through the kinds', () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(gen.generatedByKind.slice(1).reduce((a, b) => a + b, 0));
    // Binomial(100000, 0.01): sd ~31; 5 sd of slack.
    expect(Math.abs(total - N * RATE)).toBeLessThan(160);
    const perKind = Object.values(counts);
    expect(Math.max(...perKind) - Math.min(...perKind)).toBeLessThanOrEqual(1);
  });

  it('never come before a symbol has a good tick, and again not after requireGoodTick()', () => {
    const g = new QuoteGenerator({ symbols: profiles, seed: 3, invalidRate: 1 });
    g.nextFor(0, START_UTC);
    expect(g.kind).toBe(KIND_GOOD);
    g.nextFor(0, START_UTC);
    expect(g.kind).not.toBe(KIND_GOOD);
    g.requireGoodTick(0);
    g.nextFor(0, START_UTC + 1);
    expect(g.kind).toBe(KIND_GOOD);
  });
});

describe('determinism', () => {
  const stream = (seed: number) => {
    const g = new QuoteGenerator({ symbols: buildSymbolProfiles(10), seed, invalidRate: 0.05 });
    const out: unknown[] = [];
    run(g, 5000, () => out.push(snapshot(g)));
    return out;
  };

  it('gives the same ticks for the same seed and different ones for another', () => {
    expect(stream(11)).toEqual(stream(11));
    expect(stream(12)).not.toEqual(stream(11));
  });

  it('paces ticks around the configured average rate through bursts and lulls', () => {
    const a = new RateSchedule(2000, 5);
    const b = new RateSchedule(2000, 5);
    let total = 0;
    const perSecond: number[] = [];
    for (let s = 0; s < 600; s++) {
      let n = 0;
      for (let i = 0; i < 100; i++) n += a.advance(10);
      perSecond.push(n);
      total += n;
      let m = 0;
      for (let i = 0; i < 100; i++) m += b.advance(10);
      expect(m).toBe(n);
    }
    expect(total / 600).toBeGreaterThan(1800);
    expect(total / 600).toBeLessThan(2200);
    expect(Math.min(...perSecond)).toBeLessThan(1000); // quiet spells
    expect(Math.max(...perSecond)).toBeGreaterThan(3000); // bursts
  });
});
