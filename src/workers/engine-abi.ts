/**
 * The engine's binary interface as the JS side sees it: the exports of build/engine.wasm and the
 * check, run at instantiation, that the module was built from the same layout as src/shared (a
 * stale build would otherwise mislabel columns silently). Only engine.ts uses this.
 */
import { ClientMt5Error } from '../shared/errors.js';
import { INDICATOR_NAMES, REASON_COUNT, REASON_NAMES } from '../shared/ring-layout.js';

/**
 * Mask bit for a tick whose symbol id is out of range or was never configured. It is not a
 * validation rule (not in REASON_NAMES) and is not counted, since there is no symbol to count it on.
 */
export const REASON_UNCONFIGURED = 1 << 8;

/** What the module says about itself; Engine.instantiate checks it against src/shared. */
export interface EngineDescription {
  reasonBits: number[];
  reasonNames: string[];
  indicatorNames: string[];
  maxSymbols: number;
  batchCapacity: number;
  counterSlots: number;
  recomputeEvery: number;
  spikeConfirmTicks: number;
}

/** An exported immutable global (AssemblyScript exports its `export const`s this way). */
interface WasmGlobal {
  readonly value: unknown;
}

export interface EngineExports {
  memory: WebAssembly.Memory;
  MAX_SYMBOLS: WasmGlobal;
  BATCH_CAPACITY: WasmGlobal;
  INDICATOR_COUNT: WasmGlobal;
  REASON_COUNT: WasmGlobal;
  REASON_UNCONFIGURED: WasmGlobal;
  COUNTER_SLOTS: WasmGlobal;
  RECOMPUTE_EVERY: WasmGlobal;
  SPIKE_CONFIRM_TICKS: WasmGlobal;
  reasonBit(i: number): number;
  reasonName(i: number): number;
  indicatorName(i: number): number;
  staticEnd(): number;
  inTimeMscPtr(): number;
  inBidPtr(): number;
  inAskPtr(): number;
  inLastPtr(): number;
  inVolumePtr(): number;
  inVolumeRealPtr(): number;
  inCapturedMsPtr(): number;
  inPricePtr(): number;
  inSymbolPtr(): number;
  inFlagsPtr(): number;
  outMaskPtr(): number;
  outQualityPtr(): number;
  outSeqPtr(): number;
  outIndPtr(): number;
  /** Bytes from one indicator column to the next (a column plus a cache-set stagger). */
  outIndStride(): number;
  countersPtr(): number;
  configureSymbol(id: number, point: number, maxSpreadPoints: number, staleMs: number,
    futureToleranceMs: number, spikeMinPoints: number, spikeFactor: number): number;
  isConfigured(id: number): number;
  resetSymbol(id: number): void;
  resetSeriesOf(id: number): void;
  symbolQuality(id: number): number;
  processBatch(n: number): number;
  processTick(id: number, timeMsc: number, bid: number, ask: number, last: number, volume: number,
    volumeReal: number, flags: number, capturedMs: number): number;
  pushPrice(id: number, price: number): void;
  pushPrices(id: number, n: number): void;
}

/** A stale build/engine.wasm would silently mislabel columns: refuse it instead. */
export function checkLayout(d: EngineDescription, wasm: EngineExports): void {
  const problems: string[] = [];
  if (d.indicatorNames.join(',') !== INDICATOR_NAMES.join(',')) {
    problems.push(`indicator columns are ${d.indicatorNames.join(',')}, expected ${INDICATOR_NAMES.join(',')}`);
  }
  if (d.reasonNames.length !== REASON_COUNT || d.reasonNames.join(',') !== REASON_NAMES.join(',')) {
    problems.push(`reasons are ${d.reasonNames.join(',')}, expected ${REASON_NAMES.join(',')}`);
  }
  d.reasonBits.forEach((bit, i) => { if (bit !== 1 << i) problems.push(`reason ${i} has bit ${bit}, expected ${1 << i}`); });
  if ((wasm.REASON_UNCONFIGURED.value as number) !== REASON_UNCONFIGURED) problems.push('REASON_UNCONFIGURED differs');
  if (d.counterSlots !== 2 + REASON_COUNT) problems.push(`counter slots ${d.counterSlots}, expected ${2 + REASON_COUNT}`);
  if (typeof wasm.outIndStride !== 'function') problems.push('no outIndStride export (built before the columns were staggered)');
  const max = wasm.memory.buffer.byteLength;
  if (wasm.staticEnd() > max) problems.push(`static data ends at ${wasm.staticEnd()}, past the ${max}-byte memory`);
  if (problems.length > 0) {
    throw new ClientMt5Error('WASM_LAYOUT_MISMATCH', `build/engine.wasm does not match src/shared (rebuild with \`npm run build\`): ${problems.join('; ')}`);
  }
}


/** An AssemblyScript string: UTF-16 code units, byte length in the 4 bytes before the pointer. */
export function liftString(memory: WebAssembly.Memory, ptr: number): string {
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}
