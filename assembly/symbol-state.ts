/**
 * Per-symbol validation state: the limits the symbol was configured with and what validation
 * remembers between ticks. Lives in the symbol's block (symbols.ts); fields are read and written
 * in place through `changetype<SymbolState>(address)`, never allocated.
 */
@unmanaged
export class SymbolState {
  /** 1 once configureSymbol has been called for the id. */
  configured: i32;
  /** 1 once a tick has been accepted since the last reset. */
  hasLast: i32;
  /** Consecutive spike rejections that agree with each other (see validation.ts). */
  spikeRun: i32;
  lastFlags: i32;
  /** |Δmid| samples in `volatility` so far (its EWMA weight is 1/n until 1/32). */
  volatilitySamples: i32;
  pad: i32;

  // Limits (configureSymbol).
  point: f64;
  maxSpreadPoints: f64;
  staleMs: f64;
  futureToleranceMs: f64;
  spikeMinPoints: f64;
  spikeFactor: f64;

  // Derived from the limits once, so that a tick needs one division rather than five
  // (validation.ts; bench/indicators.bench.ts measures the difference).
  /** 1 / point. */
  invPoint: f64;
  /** maxSpreadPoints plus the tolerance for a binary-inexact point. */
  spreadLimitPoints: f64;
  /** 1 / maxSpreadPoints, or 0 when the limit is 0 (the spread then does not lower quality). */
  invMaxSpreadPoints: f64;
  /** 1 / staleMs, or 0 when staleMs is 0. */
  invStaleMs: f64;
  /** spikeMinPoints · point: the spike rule's floor as a price distance. */
  spikeMinPrice: f64;

  // The last accepted tick, for the backwards and duplicate rules.
  lastTimeMsc: f64;
  lastBid: f64;
  lastAsk: f64;
  lastLast: f64;
  lastVolume: f64;
  lastVolumeReal: f64;
  lastMid: f64;

  /** EWMA of |Δmid| over accepted ticks: the "recent volatility" of the spike rule. */
  volatility: f64;
  /** Mid of the latest spike rejection, for the recovery rule. */
  spikeMid: f64;
  /** EWMA of per-tick quality (0..100) over all ticks; NaN before the first tick. */
  quality: f64;
}

/** Clears everything a reset forgets; the configuration stays. */
export function clearSymbolState(s: SymbolState): void {
  s.hasLast = 0;
  s.spikeRun = 0;
  s.lastFlags = 0;
  s.volatilitySamples = 0;
  s.lastTimeMsc = 0;
  s.lastBid = 0;
  s.lastAsk = 0;
  s.lastLast = 0;
  s.lastVolume = 0;
  s.lastVolumeReal = 0;
  s.lastMid = 0;
  s.volatility = 0;
  s.spikeMid = 0;
  s.quality = NaN;
}
