/**
 * Entry points that process ticks: one call per batch on the hot path (processBatch reads the input
 * columns of rows 0..n-1 and writes the output columns of the same rows), and per-tick and
 * price-series variants that go through the same code, so their results are bit-identical.
 */
import {
  BATCH_CAPACITY, IN_ASK, IN_BID, IN_CAPTURED_MS, IN_FLAGS, IN_LAST, IN_PRICE, IN_SYMBOL, IN_TIME_MSC,
  IN_VOLUME, IN_VOLUME_REAL, OUT_MASK, OUT_QUALITY, OUT_SEQ,
} from './layout';
import { pushIndicators, resetSeries, writeNoIndicators } from './indicators';
import { clearSymbol, symbolCounters, symbolSeries, symbolState, validSymbol } from './symbols';
import { lastTickQuality, REASON_UNCONFIGURED, validateTick } from './validation';

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

function processRow(
  id: i32, timeMsc: f64, bid: f64, ask: f64, last: f64, volume: f64, volumeReal: f64, flags: i32,
  capturedMs: f64, row: i32,
): i32 {
  const at4 = <usize>row << 2;
  const at8 = <usize>row << 3;
  if (!validSymbol(id) || symbolState(id).configured == 0) {
    store<i32>(OUT_MASK + at4, REASON_UNCONFIGURED);
    store<i32>(OUT_QUALITY + at4, 0);
    store<f64>(OUT_SEQ + at8, 0);
    writeNoIndicators(row);
    return REASON_UNCONFIGURED;
  }
  const counters = symbolCounters(id);
  const mask = validateTick(
    symbolState(id), counters, timeMsc, bid, ask, last, volume, volumeReal, flags, capturedMs,
  );
  store<i32>(OUT_MASK + at4, mask);
  store<i32>(OUT_QUALITY + at4, lastTickQuality);
  if (mask == 0) {
    store<f64>(OUT_SEQ + at8, load<f64>(counters)); // accepted count = this tick's 1-based sequence
    pushIndicators(symbolSeries(id), (bid + ask) * 0.5, row);
  } else {
    store<f64>(OUT_SEQ + at8, 0);
    writeNoIndicators(row);
  }
  return mask;
}

/** Validates and computes rows 0..n-1 of the input columns; returns how many were accepted. */
export function processBatch(n: i32): i32 {
  if (n > BATCH_CAPACITY) n = BATCH_CAPACITY;
  let accepted = 0;
  for (let row = 0; row < n; row++) {
    const at4 = <usize>row << 2;
    const at8 = <usize>row << 3;
    const mask = processRow(
      load<i32>(IN_SYMBOL + at4), load<f64>(IN_TIME_MSC + at8), load<f64>(IN_BID + at8),
      load<f64>(IN_ASK + at8), load<f64>(IN_LAST + at8), load<f64>(IN_VOLUME + at8),
      load<f64>(IN_VOLUME_REAL + at8), load<i32>(IN_FLAGS + at4), load<f64>(IN_CAPTURED_MS + at8), row,
    );
    if (mask == 0) accepted++;
  }
  return accepted;
}

/** One tick, outputs in row 0; returns its reason mask. */
export function processTick(
  id: i32, timeMsc: f64, bid: f64, ask: f64, last: f64, volume: f64, volumeReal: f64, flags: i32,
  capturedMs: f64,
): i32 {
  return processRow(id, timeMsc, bid, ask, last, volume, volumeReal, flags, capturedMs, 0);
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
    if (valid) pushIndicators(series, load<f64>(IN_PRICE + (<usize>row << 3)), row);
    else writeNoIndicators(row);
  }
}

/** Clears only the indicator series of `id` (for price series fed with pushPrice/pushPrices). */
export function resetSeriesOf(id: i32): void {
  if (validSymbol(id)) resetSeries(symbolSeries(id));
}
