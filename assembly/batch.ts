/**
 * Entry points that process ticks: one call per batch on the hot path (processBatch reads the input
 * columns of rows 0..n-1 and writes the output columns of the same rows), and per-tick and
 * price-series variants that go through the same code, so their results are bit-identical.
 */
import {
  BATCH_CAPACITY, IN_ASK, IN_BID, IN_CAPTURED_MS, IN_FLAGS, IN_LAST, IN_PRICE, IN_SYMBOL, IN_TIME_MSC,
  IN_VOLUME, IN_VOLUME_REAL, MID, OUT_MASK, OUT_QUALITY, OUT_SEQ,
} from './layout';
import { pushIndicators, resetSeries, writeNoIndicators } from './indicators';
import { clearSymbol, symbolCounters, symbolSeries, symbolState, validSymbol } from './symbols';
import { deriveLimits, MASK_BITS, QUALITY_SHIFT, REASON_UNCONFIGURED, validateRow } from './validation';

/**
 * Sets the limits of symbol `id` (its first configuration also clears its state). Returns 0 when
 * the id is out of range; the JS loader checks the values themselves.
 */
export function configureSymbol(
  id: i32, point: f64, maxSpreadPoints: f64, staleMs: f64, futureToleranceMs: f64,
  spikeMinPoints: f64, spikeFactor: f64,
): i32 {
  if (!validSymbol(id)) return 0;
  const s = symbolState(id);
  if (s.configured == 0) clearSymbol(id);
  s.point = point;
  s.maxSpreadPoints = maxSpreadPoints;
  s.staleMs = staleMs;
  s.futureToleranceMs = futureToleranceMs;
  s.spikeMinPoints = spikeMinPoints;
  s.spikeFactor = spikeFactor;
  deriveLimits(s);
  s.configured = 1;
  return 1;
}

export function isConfigured(id: i32): i32 {
  return validSymbol(id) ? symbolState(id).configured : 0;
}

/** Forgets the symbol's ticks, indicators and counters; keeps its limits. */
export function resetSymbol(id: i32): void {
  if (validSymbol(id)) clearSymbol(id);
}

/** EWMA of the symbol's per-tick quality, 0..100; NaN before its first tick. */
export function symbolQuality(id: i32): f64 {
  return validSymbol(id) && symbolState(id).configured != 0 ? symbolState(id).quality : NaN;
}

/**
 * Validation of the tick in row `inRow` of the input columns: mask, quality and sequence at `row`,
 * and an accepted tick's mid in the MID scratch column at `row` for the indicator pass. Inlined
 * into both entry points, so the batch and per-tick paths are one code.
 */
// @ts-ignore: decorator
@inline function validateTick(id: i32, inRow: i32, row: i32): i32 {
  const at4 = <usize>row << 2;
  const at8 = <usize>row << 3;
  if (!validSymbol(id) || symbolState(id).configured == 0) {
    store<i32>(at4, REASON_UNCONFIGURED, OUT_MASK);
    store<i32>(at4, 0, OUT_QUALITY);
    store<f64>(at8, 0, OUT_SEQ);
    return REASON_UNCONFIGURED;
  }
  const s = symbolState(id);
  const counters = symbolCounters(id);
  const result = validateRow(s, counters, inRow);
  const mask = result & MASK_BITS;
  store<i32>(at4, mask, OUT_MASK);
  store<i32>(at4, result >>> QUALITY_SHIFT, OUT_QUALITY);
  // The accepted count is this tick's 1-based sequence.
  store<f64>(at8, mask == 0 ? load<f64>(counters) : 0, OUT_SEQ);
  store<f64>(at8, s.lastMid, MID);
  return mask;
}

/** The indicators of the tick validated at `row` (NaN outputs when it was rejected). */
// @ts-ignore: decorator
@inline function indicatorsOf(id: i32, row: i32): void {
  if (load<i32>(<usize>row << 2, OUT_MASK) == 0) {
    pushIndicators(symbolSeries(id), load<f64>(<usize>row << 3, MID), row);
  } else {
    writeNoIndicators(row);
  }
}

/**
 * Validates and computes rows 0..n-1 of the input columns; returns how many were accepted.
 *
 * Two passes, validation of every row and then the indicators of every row: a symbol's
 * validation never reads its indicators, so the results are those of one pass, and each loop is
 * short enough for the CPU to overlap the long dependency chains (divisions, the square root) of
 * several rows: ~0.8 ns a tick less than one pass on bench/indicators.bench.ts's stream (scratch
 * builds, time inside processBatch).
 */
export function processBatch(n: i32): i32 {
  if (n > BATCH_CAPACITY) n = BATCH_CAPACITY;
  let accepted = 0;
  for (let row = 0; row < n; row++) {
    if (validateTick(load<i32>(<usize>row << 2, IN_SYMBOL), row, row) == 0) accepted++;
  }
  for (let row = 0; row < n; row++) indicatorsOf(load<i32>(<usize>row << 2, IN_SYMBOL), row);
  return accepted;
}

/**
 * processTick's input row: one past the last batch row, in the stagger after each column (see
 * layout.ts), so a tick never overwrites what the caller put in the batch rows.
 */
const TICK_ROW: i32 = BATCH_CAPACITY;

/** One tick, outputs in row 0; returns its reason mask. The same code as processBatch. */
export function processTick(
  id: i32, timeMsc: f64, bid: f64, ask: f64, last: f64, volume: f64, volumeReal: f64, flags: i32,
  capturedMs: f64,
): i32 {
  const in4 = <usize>TICK_ROW << 2;
  const in8 = <usize>TICK_ROW << 3;
  store<f64>(in8, timeMsc, IN_TIME_MSC);
  store<f64>(in8, bid, IN_BID);
  store<f64>(in8, ask, IN_ASK);
  store<f64>(in8, last, IN_LAST);
  store<f64>(in8, volume, IN_VOLUME);
  store<f64>(in8, volumeReal, IN_VOLUME_REAL);
  store<i32>(in4, flags, IN_FLAGS);
  store<f64>(in8, capturedMs, IN_CAPTURED_MS);
  const mask = validateTick(id, TICK_ROW, 0);
  indicatorsOf(id, 0);
  return mask;
}

/** Indicators only, no validation: the next price of symbol `id`'s series, outputs in row 0. */
export function pushPrice(id: i32, price: f64): void {
  if (validSymbol(id)) pushIndicators(symbolSeries(id), price, 0);
  else writeNoIndicators(0);
}

/** Indicators only over IN_PRICE rows 0..n-1, outputs in the same rows. */
export function pushPrices(id: i32, n: i32): void {
  if (n > BATCH_CAPACITY) n = BATCH_CAPACITY;
  const valid = validSymbol(id);
  const series = symbolSeries(valid ? id : 0);
  for (let row = 0; row < n; row++) {
    if (valid) pushIndicators(series, load<f64>(<usize>row << 3, IN_PRICE), row);
    else writeNoIndicators(row);
  }
}

/** Clears only the indicator series of `id` (for price series fed with pushPrice/pushPrices). */
export function resetSeriesOf(id: i32): void {
  if (validSymbol(id)) resetSeries(symbolSeries(id));
}
