/**
 * The plain-TypeScript baseline of bench/indicators.bench.ts must do exactly the engine's work, or
 * its timing means nothing: on the benchmark's own tick stream (with every kind of bad tick) and on
 * the TA-Lib fixture prices, it gives the WASM engine's masks, quality, sequence, 13 indicators,
 * counters and symbol quality bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { PlainTsEngine } from '../../../bench/baselines/plain-ts-engine.js';
import { makeTickStream } from '../../../bench/lib/tick-stream.js';
import { INDICATOR_COUNT, INDICATOR_NAMES } from '../../../src/shared/ring-layout.js';
import { column, FIXTURE_FILES, loadFixture } from '../engine/fixtures.js';
import { engine } from '../engine/indicator-contract.js';

describe('plain-TypeScript baseline engine', () => {
  it('matches the WASM engine bit for bit on interleaved ticks with every kind of bad tick', () => {
    const s = makeTickStream({ ticks: 60_000, symbols: 10, seed: 7, invalidRate: 0.03 });
    // The simulated EA never sends a spread beyond the limit: widen a few ticks by hand.
    for (let i = 1500; i < s.length; i += 1500) s.ask[i] += 200 * s.limits[s.symbol[i]].point;
    const wasm = engine();
    const plain = new PlainTsEngine(wasm.maxSymbols);
    for (let id = 0; id < s.symbolCount; id++) {
      wasm.configureSymbol(id, s.limits[id]);
      plain.configureSymbol(id, s.limits[id]);
    }
    let rejected = 0;
    const unconfigured = s.symbolCount; // never configured: both must refuse it the same way
    for (let i = 0; i < s.length; i++) {
      const id = i % 997 === 0 ? unconfigured : s.symbol[i];
      const a = wasm.processTick(id, s.timeMsc[i], s.bid[i], s.ask[i], s.last[i], s.volume[i], s.volumeReal[i], s.flags[i], s.capturedMs[i]);
      const b = plain.processTick(id, s.timeMsc[i], s.bid[i], s.ask[i], s.last[i], s.volume[i], s.volumeReal[i], s.flags[i], s.capturedMs[i]);
      if (a !== 0) rejected++;
      if (a !== b || wasm.outQuality[0] !== plain.quality || !Object.is(wasm.outSeq[0], plain.seq)) {
        throw new Error(`tick ${i}: wasm ${a}/${wasm.outQuality[0]}/${wasm.outSeq[0]}, plain ${b}/${plain.quality}/${plain.seq}`);
      }
      for (let k = 0; k < INDICATOR_COUNT; k++) {
        if (!Object.is(wasm.outInd[k][0], plain.out[k])) {
          throw new Error(`tick ${i}: ${INDICATOR_NAMES[k]} wasm ${wasm.outInd[k][0]} plain ${plain.out[k]}`);
        }
      }
    }
    expect(rejected).toBeGreaterThan(s.injectedBad); // the injected ones and the unconfigured ones
    for (let id = 0; id < s.symbolCount; id++) {
      expect([...plain.counters(id)]).toEqual([...wasm.counters(id)]);
      expect(plain.symbolQuality(id)).toBe(wasm.symbolQuality(id));
    }
    // Every rule fired at least once somewhere.
    const reasons = new Float64Array(8);
    for (let id = 0; id < s.symbolCount; id++) for (let r = 0; r < 8; r++) reasons[r] += wasm.counters(id)[2 + r];
    expect([...reasons].every((n) => n > 0)).toBe(true);
  });

  for (const file of FIXTURE_FILES) {
    it(`gives the engine's indicators bit for bit on the TA-Lib fixture prices (${file})`, () => {
      const prices = column(loadFixture(file), 'price');
      const wasm = engine();
      const plain = new PlainTsEngine(wasm.maxSymbols);
      for (let i = 0; i < prices.length; i++) {
        wasm.pushPrice(3, prices[i]);
        plain.pushPrice(3, prices[i]);
        for (let k = 0; k < INDICATOR_COUNT; k++) {
          if (!Object.is(wasm.outInd[k][0], plain.out[k])) {
            throw new Error(`price ${i}: ${INDICATOR_NAMES[k]} wasm ${wasm.outInd[k][0]} plain ${plain.out[k]}`);
          }
        }
      }
    });
  }
});
