/**
 * The engine mirrors src/shared/ring-layout.ts (reason bits, reason names, indicator order), has a
 * fixed memory that cannot grow, needs no imports, and its column views do not overlap.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientMt5Error } from '../../../src/shared/errors.js';
import {
  INDICATOR_NAMES, REASON_BACKWARDS, REASON_COUNT, REASON_CROSSED, REASON_DUPLICATE, REASON_FUTURE, REASON_NAMES,
  REASON_PRICE_INVALID, REASON_SPIKE, REASON_SPREAD, REASON_STALE,
} from '../../../src/shared/ring-layout.js';
import { compileEngine, Engine, engineWasmPath } from '../../../src/workers/engine.js';
import { engine } from './indicator-contract.js';

describe('engine layout', () => {
  it('mirrors the reason bits and names of src/shared/ring-layout.ts', () => {
    const d = engine().describe();
    expect(d.reasonBits).toEqual([
      REASON_PRICE_INVALID, REASON_CROSSED, REASON_SPREAD, REASON_STALE, REASON_FUTURE, REASON_BACKWARDS,
      REASON_DUPLICATE, REASON_SPIKE,
    ]);
    expect(d.reasonBits).toHaveLength(REASON_COUNT);
    expect(d.reasonNames).toEqual([...REASON_NAMES]);
    expect(d.counterSlots).toBe(2 + REASON_COUNT);
  });

  it('writes indicator columns in INDICATOR_NAMES order', () => {
    expect(engine().describe().indicatorNames).toEqual([...INDICATOR_NAMES]);
  });

  it('re-sums its windows exactly at least every 1024 prices', () => {
    expect(engine().describe().recomputeEvery).toBeLessThanOrEqual(1024);
  });

  it('resolves build/engine.wasm and needs no imports', () => {
    expect(engineWasmPath()).toMatch(/[/\\]build[/\\]engine\.wasm$/);
    expect(existsSync(engineWasmPath())).toBe(true);
    expect(WebAssembly.Module.imports(compileEngine())).toEqual([]);
  });

  it('has a fixed memory that cannot grow', () => {
    const instance = new WebAssembly.Instance(compileEngine(), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const bytes = memory.buffer.byteLength;
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(bytes);
  });

  it('says how to build the engine when the file is missing', () => {
    const missing = '/nonexistent/build/engine.wasm';
    let error: unknown;
    try {
      compileEngine(missing);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClientMt5Error);
    expect((error as ClientMt5Error).code).toBe('WASM_MISSING');
    expect((error as ClientMt5Error).message).toContain('npm run build');
    expect((error as ClientMt5Error).message).toContain(missing);
  });

  it('gives every column its own memory', () => {
    const e: Engine = engine();
    const columns = [
      e.inTimeMsc, e.inBid, e.inAsk, e.inLast, e.inVolume, e.inVolumeReal, e.inCapturedMs, e.inPrice,
      e.inSymbol, e.inFlags, e.outMask, e.outQuality, e.outSeq, ...e.outInd,
    ];
    for (const c of columns) expect(c.length).toBe(e.batchCapacity);
    columns.forEach((c, j) => c.fill(j + 1));
    columns.forEach((c, j) => expect(c.every((v) => v === j + 1)).toBe(true));
    expect(e.counterTable.length).toBe(e.maxSymbols * e.counterSlots);
    expect(e.counterTable.every((v) => v === 0)).toBe(true);
  });

  it('keeps symbols apart', () => {
    const e = engine();
    const limits = { point: 1e-5, maxSpreadPoints: 100, staleMs: 5000, futureToleranceMs: 1000, spikeMinPoints: 500, spikeFactor: 50 };
    e.configureSymbol(0, limits);
    e.configureSymbol(e.maxSymbols - 1, limits);
    for (let i = 0; i < 40; i++) e.processTick(0, 1000 + i, 1.1 + i * 1e-5, 1.1 + i * 1e-5, 0, 0, 0, 0, 1000 + i);
    expect(e.processTick(e.maxSymbols - 1, 10, 2, 2, 0, 0, 0, 0, 10)).toBe(0);
    expect(e.outSeq[0]).toBe(1);
    expect([e.counters(0)[0], e.counters(e.maxSymbols - 1)[0]]).toEqual([40, 1]);
  });
});
