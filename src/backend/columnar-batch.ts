/**
 * A decoded `market_data_columns` batch: the ticks as struct-of-arrays, every value rebuilt
 * (absolute times and sequences, prices as doubles, NaN for an indicator a tick does not have).
 * Reused from batch to batch; the arrays grow, never shrink.
 */
import type { clientmt5 } from '../gen/clientmt5.js';
import { INDICATOR_COUNT } from '../shared/ring-layout.js';
import { INDICATOR_WIRE_FIELDS } from './indicator-check.js';

type WireIndicators = clientmt5.v1.TechnicalIndicators.$Properties;

/** Field number in TechnicalIndicators / IndicatorColumns of each proto field name (indicators.proto). */
const FIELD_NUMBER: Record<(typeof INDICATOR_WIRE_FIELDS)[number], number> = {
  sma_20: 1, sma_50: 2, ema_12: 3, ema_26: 4, macd_line: 5, macd_signal: 6, rsi: 7,
  bollinger_upper: 8, bollinger_middle: 9, bollinger_lower: 10, ema_20: 11, ema_50: 12, macd_hist: 13,
};

/** INDICATOR_NAMES index of IndicatorColumns field number f + 1. */
export const INDICATOR_BY_FIELD: readonly number[] = Array.from({ length: INDICATOR_COUNT },
  (_, f) => INDICATOR_WIRE_FIELDS.findIndex((name) => FIELD_NUMBER[name] === f + 1));

export class ColumnarBatch {
  batchSequence = 0;
  batchTimeMsc = 0;
  source = '';
  tenantId = '';
  count = 0;
  readonly symbols: string[] = [];
  /** Per symbol: 1 / point, 0 when unknown. */
  readonly priceScale: number[] = [];
  symbolIndex = new Int32Array(0);
  timeMsc = new Float64Array(0);
  sequenceNumber = new Float64Array(0);
  bid = new Float64Array(0);
  ask = new Float64Array(0);
  last = new Float64Array(0);
  volume = new Float64Array(0);
  volumeReal = new Float64Array(0);
  receivedAtMs = new Float64Array(0);
  flags = new Int32Array(0);
  quality = new Int32Array(0);
  /**
   * In INDICATOR_NAMES order; NaN where the tick has no value. In a columnar-latest batch only
   * each symbol's last tick has values (its latest ones); the others are NaN.
   */
  indicators: Float64Array[] = [];
  /** A columnar-latest batch: indicators travelled once per symbol, as at its last tick. */
  latest = false;
  /** Per symbol index: the row of its last tick in the batch (-1: none). */
  lastRow = new Int32Array(0);
  /**
   * columnar-latest: per indicator (INDICATOR_NAMES order), per symbol index, the value at the
   * symbol's last tick of the batch; NaN where it has none yet.
   */
  latestIndicators: Float64Array[] = [];

  clear(): void {
    this.batchSequence = 0;
    this.batchTimeMsc = 0;
    this.source = '';
    this.tenantId = '';
    this.count = 0;
    this.symbols.length = 0;
    this.priceScale.length = 0;
    this.latest = false;
  }

  /** Room for `n` symbols. */
  reserveSymbols(n: number): void {
    if (n <= this.lastRow.length) return;
    const size = Math.max(n, this.lastRow.length * 2, 16);
    this.lastRow = new Int32Array(size);
    this.latestIndicators = Array.from({ length: INDICATOR_COUNT }, () => new Float64Array(size));
  }

  /** Whether tick i carries indicators on the wire: every tick, or in a columnar-latest batch its symbol's last. */
  carriesIndicators(i: number): boolean {
    return !this.latest || this.lastRow[this.symbolIndex[i]] === i;
  }

  /** Room for `n` ticks. */
  reserve(n: number): void {
    if (n <= this.symbolIndex.length) return;
    const size = Math.max(n, this.symbolIndex.length * 2, 64);
    this.symbolIndex = new Int32Array(size);
    this.timeMsc = new Float64Array(size);
    this.sequenceNumber = new Float64Array(size);
    this.bid = new Float64Array(size);
    this.ask = new Float64Array(size);
    this.last = new Float64Array(size);
    this.volume = new Float64Array(size);
    this.volumeReal = new Float64Array(size);
    this.receivedAtMs = new Float64Array(size);
    this.flags = new Int32Array(size);
    this.quality = new Int32Array(size);
    this.indicators = Array.from({ length: INDICATOR_COUNT }, () => new Float64Array(size));
  }

  /** The symbol name of tick i. */
  symbolOf(i: number): string {
    return this.symbols[this.symbolIndex[i]];
  }
}

/**
 * One tick's indicators of a ColumnarBatch, seen as a TechnicalIndicators message (absent = null),
 * for code written against the row form. One view, moved from tick to tick: no object per tick.
 */
export class IndicatorRowView implements WireIndicators {
  row = 0;

  constructor(readonly batch: ColumnarBatch) {}

  private at(k: number): number | null {
    const v = this.batch.indicators[k][this.row];
    return v === v ? v : null;
  }

  get sma_20(): number | null { return this.at(0); }
  get sma_50(): number | null { return this.at(1); }
  get ema_12(): number | null { return this.at(2); }
  get ema_26(): number | null { return this.at(3); }
  get ema_20(): number | null { return this.at(4); }
  get ema_50(): number | null { return this.at(5); }
  get rsi(): number | null { return this.at(6); }
  get macd_line(): number | null { return this.at(7); }
  get macd_signal(): number | null { return this.at(8); }
  get macd_hist(): number | null { return this.at(9); }
  get bollinger_upper(): number | null { return this.at(10); }
  get bollinger_middle(): number | null { return this.at(11); }
  get bollinger_lower(): number | null { return this.at(12); }
}
