/**
 * A seeded, pre-generated stream of interleaved ticks for the micro-benchmarks: the simulated EA's
 * quote generator (src/ea-sim/quotes.ts: random walk in points, one-sided spread moves, rare
 * jumps, injected bad ticks of every kind), laid out as the columns the engine and the rings use,
 * with flags masked and a capture clock a few ms behind each tick as the bridge would stamp it.
 * Generated once before timing, so the generator's own cost is never measured.
 */
import { QuoteGenerator } from '../../src/ea-sim/quotes.js';
import { buildSymbolProfiles } from '../../src/ea-sim/symbols.js';
import { configSchema } from '../../src/shared/config.js';
import { TICK_FLAGS_MASK } from '../../src/shared/protocol.js';
import type { SymbolLimits } from '../../src/workers/engine.js';

export interface TickStream {
  readonly length: number;
  readonly symbolCount: number;
  readonly symbolNames: readonly string[];
  /** Validation limits per symbol id (the config defaults with the symbol's point). */
  readonly limits: readonly SymbolLimits[];
  readonly symbol: Int32Array;
  readonly timeMsc: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly last: Float64Array;
  readonly volume: Float64Array;
  readonly volumeReal: Float64Array;
  readonly flags: Int32Array;
  readonly capturedMs: Float64Array;
  /** Ticks the generator made bad on purpose (each is rejected by validation). */
  readonly injectedBad: number;
}

export interface TickStreamOptions {
  ticks: number;
  symbols?: number;
  seed?: number;
  /** Fraction of bad ticks (crossed, zero/NaN price, stale, future, backwards, duplicate, spike). */
  invalidRate?: number;
}

/** 2026-01-01T00:00:00Z. */
const T0 = 1_767_225_600_000;
/** Mean gap between ticks of all symbols together, ms (a busy hour: ~2,000 ticks/s in all). */
const MEAN_GAP_MS = 0.5;
/** Capture lag behind the broker clock: 2-8 ms of EA poll and loopback. */
const LAG_MIN_MS = 2;
const LAG_SPAN_MS = 6;

export function makeTickStream(options: TickStreamOptions): TickStream {
  const n = options.ticks;
  const profiles = buildSymbolProfiles(options.symbols ?? 10);
  const v = configSchema.shape.validation.parse({});
  const gen = new QuoteGenerator({ symbols: profiles, seed: options.seed ?? 20260101, invalidRate: options.invalidRate ?? 0.002 });
  const s = {
    symbol: new Int32Array(n), timeMsc: new Float64Array(n), bid: new Float64Array(n), ask: new Float64Array(n),
    last: new Float64Array(n), volume: new Float64Array(n), volumeReal: new Float64Array(n), flags: new Int32Array(n),
    capturedMs: new Float64Array(n),
  };
  let clock = T0;
  let jitter = 12345;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    // An LCG for the clock so that the quote stream itself stays the generator's own.
    jitter = (Math.imul(jitter, 1103515245) + 12345) >>> 0;
    clock += Math.floor((jitter / 4294967296) * 2 * MEAN_GAP_MS + 0.5);
    gen.next(clock);
    if (gen.kind !== 0) bad++;
    s.symbol[i] = gen.symbol;
    s.timeMsc[i] = gen.timeMsc;
    s.bid[i] = gen.bid;
    s.ask[i] = gen.ask;
    s.last[i] = gen.last;
    s.volume[i] = gen.volume;
    s.volumeReal[i] = gen.volumeReal;
    s.flags[i] = gen.flags & TICK_FLAGS_MASK;
    s.capturedMs[i] = clock + LAG_MIN_MS + (jitter % LAG_SPAN_MS);
  }
  return {
    length: n,
    symbolCount: profiles.length,
    symbolNames: profiles.map((p) => p.name),
    limits: profiles.map((p) => ({
      point: p.point, maxSpreadPoints: v.maxSpreadPoints, staleMs: v.staleMs, futureToleranceMs: v.futureToleranceMs,
      spikeMinPoints: v.spikeMinPoints, spikeFactor: v.spikeFactor,
    })),
    injectedBad: bad,
    ...s,
  };
}
