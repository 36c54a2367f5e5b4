/**
 * One contract every indicator of the engine passes (trading-signals' testIndicatorContract):
 *   - warm-up: NaN before its first value, a value at and after it, at the index TA-Lib has;
 *   - values: against the TA-Lib 0.6 fixtures (or the exact Bollinger columns), bit-identical or
 *     within a relative tolerance;
 *   - per-tick equals batch: pushPrice one at a time, pushPrices in batches, and ticks through
 *     validation (processBatch and processTick) give bit-identical outputs.
 */
import { describe, expect, it } from 'vitest';
import { INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';
import { compileEngine, Engine } from '../../../src/workers/engine.js';
import { agreement, column, FIXTURE_FILES, firstValueIndex, loadFixture, type Fixture } from './fixtures.js';

export type IndicatorName = (typeof INDICATOR_NAMES)[number];

export interface IndicatorSpec {
  name: IndicatorName;
  /** Index of the first price with a value (TA-Lib's lookback). */
  firstIndex: number;
  /** Fixture column holding the reference values. */
  reference: string;
  /** 'identical' = bit for bit; a number = max |actual − expected| / |expected|. */
  tolerance: 'identical' | number;
  /**
   * Reference cells known to be wrong in a fixture, by file: they are checked to be inconsistent
   * with the fixture itself and skipped (listed so that a corrected fixture makes the test fail
   * and the entry get removed).
   */
  knownDefects?: Partial<Record<string, { rows: number[]; check: (f: Fixture, row: number, actual: number) => void }>>;
}

/** Outputs of one fixture's prices, computed four ways; cached per fixture. */
interface Runs {
  batch: Float64Array[];
  perPrice: Float64Array[];
  ticksBatch: Float64Array[];
  ticksPerTick: Float64Array[];
}

let module: WebAssembly.Module | undefined;
const runs = new Map<string, Runs>();

export function engine(): Engine {
  module ??= compileEngine();
  return Engine.instantiate(module);
}

function outputs(rows: number): Float64Array[] {
  return INDICATOR_NAMES.map(() => new Float64Array(rows));
}

export function fixtureRuns(file: string): Runs {
  const cached = runs.get(file);
  if (cached) return cached;
  const f = loadFixture(file);
  const prices = column(f, 'price');
  const times = column(f, 'time_msc');
  const result: Runs = { batch: outputs(f.rows), perPrice: outputs(f.rows), ticksBatch: outputs(f.rows), ticksPerTick: outputs(f.rows) };

  // Indicators only: in batches with a size that does not divide the row count, and one by one.
  const e1 = engine();
  for (let start = 0; start < f.rows; start += 1000) {
    const n = Math.min(1000, f.rows - start);
    e1.inPrice.set(prices.subarray(start, start + n));
    e1.pushPrices(3, n);
    result.batch.forEach((out, k) => out.set(e1.outInd[k].subarray(0, n), start));
  }
  for (let i = 0; i < f.rows; i++) {
    e1.pushPrice(4, prices[i]);
    result.perPrice.forEach((out, k) => { out[i] = e1.outInd[k][0]; });
  }

  // Through validation: bid = ask = price, so the mid is the price exactly; volume makes every
  // tick distinct (the fixtures repeat prices), the capture clock is the tick's own time.
  const limits = { point: 1e-5, maxSpreadPoints: 100, staleMs: 5000, futureToleranceMs: 1000, spikeMinPoints: 1e9, spikeFactor: 50 };
  const e2 = engine();
  e2.configureSymbol(7, limits);
  for (let start = 0; start < f.rows; start += e2.batchCapacity) {
    const n = Math.min(e2.batchCapacity, f.rows - start);
    for (let r = 0; r < n; r++) {
      const i = start + r;
      e2.inSymbol[r] = 7;
      e2.inTimeMsc[r] = times[i];
      e2.inBid[r] = prices[i];
      e2.inAsk[r] = prices[i];
      e2.inLast[r] = 0;
      e2.inVolume[r] = i;
      e2.inVolumeReal[r] = 0;
      e2.inFlags[r] = 6;
      e2.inCapturedMs[r] = times[i];
    }
    expect(e2.processBatch(n)).toBe(n);
    result.ticksBatch.forEach((out, k) => out.set(e2.outInd[k].subarray(0, n), start));
  }
  const e3 = engine();
  e3.configureSymbol(7, limits);
  for (let i = 0; i < f.rows; i++) {
    expect(e3.processTick(7, times[i], prices[i], prices[i], 0, i, 0, 6, times[i])).toBe(0);
    result.ticksPerTick.forEach((out, k) => { out[i] = e3.outInd[k][0]; });
  }
  runs.set(file, result);
  return result;
}

function expectSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  let differing = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      if (first < 0) first = i;
      differing++;
    }
  }
  expect({ what, differing, first }).toEqual({ what, differing: 0, first: -1 });
}

export function testIndicatorContract(spec: IndicatorSpec): void {
  const k = INDICATOR_NAMES.indexOf(spec.name);

  describe(`indicator ${spec.name}`, () => {
    for (const file of FIXTURE_FILES) {
      it(`warms up like TA-Lib: first value at index ${spec.firstIndex} (${file})`, () => {
        const f = loadFixture(file);
        const out = fixtureRuns(file).batch[k];
        expect(firstValueIndex(column(f, spec.reference))).toBe(spec.firstIndex);
        expect(firstValueIndex(out)).toBe(spec.firstIndex);
        for (let i = spec.firstIndex; i < out.length; i++) {
          if (!Number.isFinite(out[i])) throw new Error(`${spec.name} has no value at ${i} after warm-up`);
        }
      });

      it(`matches ${spec.reference} ${spec.tolerance === 'identical' ? 'bit for bit' : `within ${spec.tolerance} relative`} (${file})`, () => {
        const f = loadFixture(file);
        const actual = fixtureRuns(file).batch[k];
        const expected = Float64Array.from(column(f, spec.reference));
        const defects = spec.knownDefects?.[file];
        for (const row of defects?.rows ?? []) {
          defects!.check(f, row, actual[row]);
          expected[row] = actual[row];
        }
        const a = agreement(actual, expected);
        expect(a.presenceMismatches).toBe(0);
        expect(a.compared).toBe(f.rows - spec.firstIndex);
        if (spec.tolerance === 'identical') expect(a.identical).toBe(a.compared);
        else expect(a.maxRel).toBeLessThanOrEqual(spec.tolerance);
      });

      it(`gives the same bits per price, per batch and through validation, per tick and per batch (${file})`, () => {
        const r = fixtureRuns(file);
        expectSameBits(r.perPrice[k], r.batch[k], 'pushPrice vs pushPrices');
        expectSameBits(r.ticksBatch[k], r.batch[k], 'processBatch vs pushPrices');
        expectSameBits(r.ticksPerTick[k], r.ticksBatch[k], 'processTick vs processBatch');
      });
    }
  });
}
