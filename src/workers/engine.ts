/**
 * The one module that loads the validation + indicator engine (assembly/, built into
 * build/engine.wasm). Main compiles the module once and hands the `WebAssembly.Module` to workers;
 * each worker instantiates it once and drives it from one call site.
 *
 *   JS (one Engine per thread)                       WASM linear memory (fixed size, never grows)
 *   ─────────────────────────                        ─────────────────────────────────────────────
 *   fill inSymbol/inTimeMsc/… rows 0..n-1   ──►      input columns
 *   processBatch(n)                         ──►      validate → per-symbol state → indicators
 *   read outMask/outQuality/outSeq/outInd   ◄──      output columns, counters table
 *
 * Views are built once: the memory cannot grow (asconfig.json sets initialMemory = maximumMemory,
 * the module contains no memory.grow, and the exports stay private to this class), so
 * `memory.buffer` never changes. The calls do not re-check it: the `memory.buffer` getter costs
 * ~20 ns, as much as the engine's work on a tick (bench/indicators.bench.ts, per-tick variant).
 */
import { compileEngineModule, engineWasmPath as sharedEngineWasmPath } from '../shared/engine-module.js';
import { ClientMt5Error } from '../shared/errors.js';
import { INDICATOR_COUNT } from '../shared/ring-layout.js';
import { checkLayout, liftString, REASON_UNCONFIGURED, type EngineDescription, type EngineExports } from './engine-abi.js';

export { REASON_UNCONFIGURED, type EngineDescription };

/** Validation limits of one symbol (see `validation` in src/shared/config.ts). */
export interface SymbolLimits {
  /** Price of one point (SYMBOL_POINT), > 0. */
  point: number;
  maxSpreadPoints: number;
  staleMs: number;
  futureToleranceMs: number;
  spikeMinPoints: number;
  spikeFactor: number;
}

/**
 * Absolute path of build/engine.wasm (from src/ under vitest or from dist/). The path and the
 * compile step live in src/shared/engine-module.ts so that main can compile without importing
 * workers; these are the same functions under the names workers use.
 */
export function engineWasmPath(): string {
  return sharedEngineWasmPath();
}

/** Compiles the engine synchronously; WASM_MISSING (run `npm run build`) when the file is absent. */
export function compileEngine(path: string = engineWasmPath()): WebAssembly.Module {
  return compileEngineModule(path);
}

interface Views {
  inTimeMsc: Float64Array;
  inBid: Float64Array;
  inAsk: Float64Array;
  inLast: Float64Array;
  inVolume: Float64Array;
  inVolumeReal: Float64Array;
  inCapturedMs: Float64Array;
  inPrice: Float64Array;
  inSymbol: Int32Array;
  inFlags: Int32Array;
  outMask: Int32Array;
  outQuality: Int32Array;
  outSeq: Float64Array;
  outInd: Float64Array[];
  counterTable: Float64Array;
}

export class Engine {
  readonly maxSymbols: number;
  readonly batchCapacity: number;
  /** f64 slots per symbol in the counters: accepted, rejected, then one per REASON_NAMES entry. */
  readonly counterSlots: number;
  private readonly wasm: EngineExports;
  private readonly views: Views;
  private readonly countersScratch: Float64Array;

  /** Instantiates the module and checks that it was built from this source tree's layout. */
  static instantiate(module: WebAssembly.Module): Engine {
    const instance = new WebAssembly.Instance(module, {});
    return new Engine(instance.exports as unknown as EngineExports);
  }

  private constructor(wasm: EngineExports) {
    this.wasm = wasm;
    this.maxSymbols = wasm.MAX_SYMBOLS.value as number;
    this.batchCapacity = wasm.BATCH_CAPACITY.value as number;
    this.counterSlots = wasm.COUNTER_SLOTS.value as number;
    this.countersScratch = new Float64Array(this.counterSlots);
    checkLayout(this.describe(), wasm);
    this.views = this.buildViews();
  }

  /** Reads the engine's own constants and names (the mirror of src/shared/ring-layout.ts). */
  describe(): EngineDescription {
    const w = this.wasm;
    const reasonCount = w.REASON_COUNT.value as number;
    const indicatorCount = w.INDICATOR_COUNT.value as number;
    const reasonBits: number[] = [];
    const reasonNames: string[] = [];
    for (let i = 0; i < reasonCount; i++) {
      reasonBits.push(w.reasonBit(i));
      reasonNames.push(liftString(w.memory, w.reasonName(i)));
    }
    const indicatorNames: string[] = [];
    for (let k = 0; k < indicatorCount; k++) indicatorNames.push(liftString(w.memory, w.indicatorName(k)));
    return {
      reasonBits, reasonNames, indicatorNames,
      maxSymbols: this.maxSymbols,
      batchCapacity: this.batchCapacity,
      counterSlots: this.counterSlots,
      recomputeEvery: w.RECOMPUTE_EVERY.value as number,
      spikeConfirmTicks: w.SPIKE_CONFIRM_TICKS.value as number,
    };
  }

  get inTimeMsc(): Float64Array { return this.views.inTimeMsc; }
  get inBid(): Float64Array { return this.views.inBid; }
  get inAsk(): Float64Array { return this.views.inAsk; }
  get inLast(): Float64Array { return this.views.inLast; }
  get inVolume(): Float64Array { return this.views.inVolume; }
  get inVolumeReal(): Float64Array { return this.views.inVolumeReal; }
  get inCapturedMs(): Float64Array { return this.views.inCapturedMs; }
  /** Price series input of pushPrices. */
  get inPrice(): Float64Array { return this.views.inPrice; }
  get inSymbol(): Int32Array { return this.views.inSymbol; }
  get inFlags(): Int32Array { return this.views.inFlags; }
  /** 0 = accepted, else REASON_* bits (or REASON_UNCONFIGURED). */
  get outMask(): Int32Array { return this.views.outMask; }
  /** Per-tick quality 0..100; 0 for rejected ticks. */
  get outQuality(): Int32Array { return this.views.outQuality; }
  /** Per-symbol 1-based sequence of accepted ticks; 0 for rejected ones. */
  get outSeq(): Float64Array { return this.views.outSeq; }
  /** INDICATOR_COUNT columns in INDICATOR_NAMES order; NaN = no value yet (and for rejected rows). */
  get outInd(): Float64Array[] { return this.views.outInd; }
  /** The whole counters table: maxSymbols rows of counterSlots values. */
  get counterTable(): Float64Array { return this.views.counterTable; }

  /** Sets a symbol's limits. The first configuration of an id also clears its state. */
  configureSymbol(id: number, limits: SymbolLimits): void {
    this.checkId(id);
    const bad = badLimit(limits);
    if (bad !== undefined) throw new ClientMt5Error('CONFIG_INVALID', `symbol ${id}: ${bad}`);
    this.wasm.configureSymbol(id, limits.point, limits.maxSpreadPoints, limits.staleMs,
      limits.futureToleranceMs, limits.spikeMinPoints, limits.spikeFactor);
  }

  isConfigured(id: number): boolean {
    return this.wasm.isConfigured(id) !== 0;
  }

  /** Forgets the symbol's last tick, volatility, indicators and counters; keeps its limits. */
  resetSymbol(id: number): void {
    this.checkId(id);
    this.wasm.resetSymbol(id);
  }

  /**
   * Validates rows 0..n-1 of the input columns and computes indicators of the accepted ones;
   * returns how many were accepted. Per-tick code: never throws for bad ticks, only reports them.
   */
  processBatch(n: number): number {
    return this.wasm.processBatch(n > this.batchCapacity ? this.batchCapacity : n);
  }

  /** One tick; returns its mask, with every output in row 0. Same results as processBatch. */
  processTick(symbol: number, timeMsc: number, bid: number, ask: number, last: number, volume: number,
    volumeReal: number, flags: number, capturedMs: number): number {
    return this.wasm.processTick(symbol, timeMsc, bid, ask, last, volume, volumeReal, flags, capturedMs);
  }

  /**
   * Indicators only, no validation: the next price of the symbol's series, outputs in row 0 of
   * outInd. The price must be finite (a NaN would stay in the running averages). Shares the
   * series with processBatch for that id, so use ids that are not also fed ticks.
   */
  pushPrice(symbol: number, price: number): void {
    this.wasm.pushPrice(symbol, price);
  }

  /** Indicators only over inPrice rows 0..n-1, outputs in the same rows of outInd. */
  pushPrices(symbol: number, n: number): void {
    this.wasm.pushPrices(symbol, n > this.batchCapacity ? this.batchCapacity : n);
  }

  /** Forgets only the indicator series of `symbol` (pushPrice/pushPrices users). */
  resetSeries(symbol: number): void {
    this.checkId(symbol);
    this.wasm.resetSeriesOf(symbol);
  }

  /**
   * Counters of `symbol`: [accepted, rejected, ...one per REASON_NAMES entry], copied into `out`
   * (by default a scratch array owned by the engine and overwritten by the next call).
   */
  counters(symbol: number, out: Float64Array = this.countersScratch): Float64Array {
    this.checkId(symbol);
    const table = this.views.counterTable;
    const base = symbol * this.counterSlots;
    for (let i = 0; i < this.counterSlots; i++) out[i] = table[base + i];
    return out;
  }

  /** EWMA of the symbol's per-tick quality, 0..100 (rejected ticks count as 0); NaN before any tick. */
  symbolQuality(symbol: number): number {
    return this.wasm.symbolQuality(symbol);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.maxSymbols) {
      throw new RangeError(`symbol id must be an integer from 0 to ${this.maxSymbols - 1}, got ${id}`);
    }
  }

  private buildViews(): Views {
    const w = this.wasm;
    const buffer = w.memory.buffer;
    const cap = this.batchCapacity;
    const f64 = (ptr: number, length = cap): Float64Array => new Float64Array(buffer, ptr, length);
    const i32 = (ptr: number): Int32Array => new Int32Array(buffer, ptr, cap);
    const outInd: Float64Array[] = [];
    for (let k = 0; k < INDICATOR_COUNT; k++) outInd.push(f64(w.outIndPtr() + k * w.outIndStride()));
    return {
      inTimeMsc: f64(w.inTimeMscPtr()),
      inBid: f64(w.inBidPtr()),
      inAsk: f64(w.inAskPtr()),
      inLast: f64(w.inLastPtr()),
      inVolume: f64(w.inVolumePtr()),
      inVolumeReal: f64(w.inVolumeRealPtr()),
      inCapturedMs: f64(w.inCapturedMsPtr()),
      inPrice: f64(w.inPricePtr()),
      inSymbol: i32(w.inSymbolPtr()),
      inFlags: i32(w.inFlagsPtr()),
      outMask: i32(w.outMaskPtr()),
      outQuality: i32(w.outQualityPtr()),
      outSeq: f64(w.outSeqPtr()),
      outInd,
      counterTable: f64(w.countersPtr(), this.maxSymbols * this.counterSlots),
    };
  }
}

/** Why `limits` cannot be used, or undefined when it can. */
function badLimit(l: SymbolLimits): string | undefined {
  const check = (name: keyof SymbolLimits, ok: (v: number) => boolean, expected: string): string | undefined => {
    const v = l[name];
    return typeof v === 'number' && ok(v) ? undefined : `${name} must be ${expected}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`;
  };
  const finite = (min: number) => (v: number) => Number.isFinite(v) && v >= min;
  return check('point', (v) => Number.isFinite(v) && v > 0, 'a finite number > 0')
    ?? check('maxSpreadPoints', finite(0), 'a finite number >= 0')
    ?? check('staleMs', finite(0), 'a finite number >= 0')
    ?? check('futureToleranceMs', finite(0), 'a finite number >= 0')
    ?? check('spikeMinPoints', finite(0), 'a finite number >= 0')
    ?? check('spikeFactor', finite(0), 'a finite number >= 0');
}

/** A column of a ring or of the engine: the copy helpers below move slices between them. */
export type Column = Float64Array | Int32Array;

/**
 * Copies `n` ring slots from `firstSlot` (wrapping at the ring's end) into rows 0..n-1 of `rows`:
 * one `TypedArray.prototype.set` (a memcpy), two when the slots wrap. The compute worker's twelve
 * input columns took 29.3 ns a tick copied per element and 5.7 ns in bulk; its 26 output columns
 * 119 and ~17 ns (4096-tick batches of bench/indicators.bench.ts's stream, a 16384-slot output
 * ring; scratch script, minima of 30 runs). Allocates one or two subarray views per call, none per
 * tick.
 */
export function copyFromRing(rows: Column, ring: Column, firstSlot: number, n: number): void {
  const end = firstSlot + n;
  if (end <= ring.length) {
    rows.set(ring.subarray(firstSlot, end));
  } else {
    const head = ring.length - firstSlot;
    rows.set(ring.subarray(firstSlot));
    rows.set(ring.subarray(0, n - head), head);
  }
}

/** Copies rows `from`..`to`-1 of `rows` into ring slots from `slot` on, wrapping at the ring's end. */
export function copyToRing(ring: Column, rows: Column, from: number, to: number, slot: number): void {
  const n = to - from;
  if (slot + n <= ring.length) {
    ring.set(rows.subarray(from, to), slot);
  } else {
    const head = ring.length - slot;
    ring.set(rows.subarray(from, from + head), slot);
    ring.set(rows.subarray(from + head, to), 0);
  }
}

/**
 * Copies the accepted rows (outMask 0) among rows 0..n-1, in order, into ring slots from sequence
 * `cursor` on: `pairs` lists [ring column, engine or staging column] pairs. Accepted rows come in
 * long runs (rejections are rare), and each run is one copyToRing per column rather than a copy
 * per value. Returns the number of rows copied.
 */
export function copyAcceptedToRing(outMask: Int32Array, n: number, pairs: readonly (readonly [Column, Column])[],
  cursor: number, ringMask: number): number {
  let copied = 0;
  let i = 0;
  while (i < n) {
    while (i < n && outMask[i] !== 0) i++;
    let j = i;
    while (j < n && outMask[j] === 0) j++;
    if (j > i) {
      const slot = (cursor + copied) & ringMask;
      for (let p = 0; p < pairs.length; p++) copyToRing(pairs[p][0], pairs[p][1], i, j, slot);
      copied += j - i;
    }
    i = j;
  }
  return copied;
}
