/**
 * Per-symbol state, indexed by symbol id: one fixed block per symbol (validation state, then the
 * indicator series of its accepted mids) and one row of counters. Reserved statically; reset by
 * clearing in place.
 */
import { clearSymbolState, SymbolState } from './symbol-state';
import { SERIES_BYTES } from './indicators';
import { COUNTER_SLOTS } from './validation';

export const MAX_SYMBOLS: i32 = 256;

const AT_SERIES: usize = (offsetof<SymbolState>() + 63) & ~63;
const SYMBOL_STRIDE: usize = AT_SERIES + SERIES_BYTES;
const SYMBOL_BLOCKS: usize = memory.data(<i32>(<usize>MAX_SYMBOLS * SYMBOL_STRIDE), 64);

/** Counters table: MAX_SYMBOLS rows of COUNTER_SLOTS f64 (see validation.ts). */
export const COUNTERS: usize = memory.data(MAX_SYMBOLS * COUNTER_SLOTS * 8, 64);

// @ts-ignore: decorator
@inline export function validSymbol(id: i32): bool {
  return <u32>id < <u32>MAX_SYMBOLS;
}

// @ts-ignore: decorator
@inline export function symbolState(id: i32): SymbolState {
  return changetype<SymbolState>(SYMBOL_BLOCKS + <usize>id * SYMBOL_STRIDE);
}

// @ts-ignore: decorator
@inline export function symbolSeries(id: i32): usize {
  return SYMBOL_BLOCKS + <usize>id * SYMBOL_STRIDE + AT_SERIES;
}

// @ts-ignore: decorator
@inline export function symbolCounters(id: i32): usize {
  return COUNTERS + <usize>(id * COUNTER_SLOTS) * 8;
}

/** Clears validation state, indicator series and counters of `id`; its limits stay. */
export function clearSymbol(id: i32): void {
  clearSymbolState(symbolState(id));
  memory.fill(symbolSeries(id), 0, SERIES_BYTES);
  memory.fill(symbolCounters(id), 0, <usize>COUNTER_SLOTS * 8);
}

/** Counters table: MAX_SYMBOLS rows of COUNTER_SLOTS f64. */
export function countersPtr(): usize { return COUNTERS; }
