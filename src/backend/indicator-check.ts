/**
 * Compares the indicators a tick carries on the wire with the reference backend's own values.
 *
 * Two values agree when |got − expected| <= tolerance · max(|got|, |expected|, floor), where the
 * floor is the tick's mid price for price-like indicators (so MACD, which lives near 0 while its
 * inputs are ~1, is judged against the size of the numbers it was computed from) and 100 for RSI
 * (its range). Presence must match exactly: a field is absent on the wire iff the reference has
 * no value yet (TA-Lib's warm-up). A tick without a `indicators` message counts as all-absent.
 */
import type { clientmt5 } from '../gen/clientmt5.js';
import { INDICATOR_COUNT, INDICATOR_NAMES } from '../shared/ring-layout.js';

type WireIndicators = clientmt5.v1.TechnicalIndicators.$Properties;
export type IndicatorName = (typeof INDICATOR_NAMES)[number];

/** TechnicalIndicators field for each entry of INDICATOR_NAMES, in the same order. */
export const INDICATOR_WIRE_FIELDS = [
  'sma_20', 'sma_50', 'ema_12', 'ema_26', 'ema_20', 'ema_50', 'rsi',
  'macd_line', 'macd_signal', 'macd_hist', 'bollinger_upper', 'bollinger_middle', 'bollinger_lower',
] as const satisfies readonly (keyof WireIndicators)[];

export const DEFAULT_MISMATCH_TOLERANCE = 1e-9;
const RSI = INDICATOR_NAMES.indexOf('rsi14');
const RSI_FLOOR = 100;
const MAX_EXAMPLES = 10;

export interface MismatchExample {
  client: string;
  symbol: string;
  sequence_number: number;
  indicator: IndicatorName;
  /** The reference value; null where the reference has none yet. */
  expected: number | null;
  /** The value on the wire; null where the field was absent. */
  received: number | null;
}

export class IndicatorChecker {
  /** Indicator values that disagreed (a tick can contribute several). */
  mismatches = 0;
  /** The first few mismatches, kept for diagnosis. */
  readonly examples: MismatchExample[] = [];

  constructor(readonly tolerance: number = DEFAULT_MISMATCH_TOLERANCE) {
    if (!(tolerance >= 0)) throw new RangeError(`mismatchTolerance must be a number >= 0, got ${tolerance}`);
  }

  /** Checks one tick; returns how many of its indicator values disagreed. */
  check(
    wire: WireIndicators | null | undefined,
    expected: Float64Array,
    mid: number,
    client: string,
    symbol: string,
    sequence: number,
  ): number {
    let bad = 0;
    for (let k = 0; k < INDICATOR_COUNT; k++) {
      const got = wire == null ? null : wire[INDICATOR_WIRE_FIELDS[k]];
      const want = expected[k];
      if (got == null) {
        if (Number.isNaN(want)) continue;
      } else if (!Number.isNaN(want)) {
        const floor = k === RSI ? RSI_FLOOR : Math.abs(mid);
        const scale = Math.max(Math.abs(got), Math.abs(want), floor);
        if (Math.abs(got - want) <= this.tolerance * scale) continue;
      }
      bad++;
      if (this.examples.length < MAX_EXAMPLES) {
        this.examples.push({
          client,
          symbol,
          sequence_number: sequence,
          indicator: INDICATOR_NAMES[k],
          expected: Number.isNaN(want) ? null : want,
          received: got ?? null,
        });
      }
    }
    this.mismatches += bad;
    return bad;
  }
}
