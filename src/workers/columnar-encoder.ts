/**
 * Turns accepted ticks from the output rings into `Envelope{MarketDataColumns}` bytes, the
 * column-packed form negotiated as "clientmt5.v1.columnar" (proto/clientmt5/v1/columns.proto,
 * docs/protocol.md section 2), or with `indicators: 'latest'` as "clientmt5.v1.columnar-latest":
 * the same tick columns, and each symbol's indicators once, as at its last tick of the batch. Same contract as BatchEncoder — takeFrom() as often as needed,
 * seal() once, nothing allocated per tick — with one difference: the batch's ticks stay in their
 * rings until seal() (taken, not released), and every column is written straight from the ring
 * columns then.
 *
 *   takeFrom   ring entries ──► a run of the batch (TickSegments) + each tick's batch symbol index
 *   seal       one pass over the runs ──► per-tick columns (TickColumnPass) ──► packed fields,
 *              indicators ──► the frame ──► release the runs
 *
 * Why not copy the ticks out as BatchEncoder does: whether a price column can travel as integer
 * points is known only once every value of the batch has been seen (one inexact value sends the
 * whole column as doubles), so the values must still be there at seal(); copying 23 columns into
 * batch arrays cost ~65 us per 1000 ticks here (~2.8 ns an element), the whole budget of issue 3
 * is 150 us. The entries go back to their rings at seal(), which the flush rules make at most
 * maxBatchDelayMs after the batch opened: a compute worker that finds its output ring full waits
 * that long at worst (only when maxBatchTicks comes near ringCapacityTicks).
 *
 *   Envelope            1 protocol_version | 22 market_data_columns (bytes)
 *   MarketDataColumns   1 batch_sequence | 2 batch_time_msc | 3 source | 4 tenant_id | 5 tick_count |
 *                       6 symbols* | 7 price_scale | 8..23 per-tick columns (see columns.proto) |
 *                       24 indicators (IndicatorColumns: 1..13 packed doubles) |
 *                       latest: 25 indicators_latest_absent (per symbol) | 26 indicators_latest
 */
import { MAX_SYMBOLS, readSymbolName, SYM_FIELDS, SYM_POINT } from '../shared/lanes.js';
import {
  INDICATOR_COUNT, OUT_F64_ASK, OUT_F64_BID, OUT_F64_IND0, OUT_F64_LAST, OUT_F64_RECV_MS, OUT_F64_VOLUME_REAL,
  OUT_I32_SYMBOL,
} from '../shared/ring-layout.js';
import type { SpscRing } from '../shared/ring.js';
import { INDICATOR_FIELD_NUMBERS } from './batch-encoder.js';
import { ColumnWriter } from './column-writer.js';
import {
  COL_ASK_MINUS_BID, COL_BID_POINTS, COL_FLAGS, COL_LAST_POINTS, COL_QUALITY, COL_RECEIVED_Q12, COL_SEQUENCE,
  COL_SYMBOL_INDEX, COL_TIME, COL_VOLUME, TickColumnPass,
} from './tick-columns.js';
import { TickSegments } from './tick-segments.js';
import { WARM_UP_ID, WARM_UP_NAME, WARM_UP_PRICE_SCALE, warmUpEncoder } from './encoder-warm-up.js';

/**
 * Where a columnar batch's indicators travel: `per-tick` (encoding "columnar": every tick's, fields
 * 23-24) or `latest` ("columnar-latest": each symbol's as at its last tick of the batch, fields 25-26).
 */
export type IndicatorMode = 'per-tick' | 'latest';

/** What the transport needs of a tick encoder; BatchEncoder (row) and ColumnarEncoder both are one. */
export interface TickBatchEncoder {
  readonly capacity: number;
  count: number;
  openedAt: number;
  readonly full: boolean;
  takeFrom(ring: SpscRing, max: number): number;
  seal(sequence: number, nowMs?: number): Uint8Array;
  warmUp(rounds: number): void;
}

const SOURCE = new TextEncoder().encode('MT5');
/** Room kept before the batch for the envelope header, written last: 08 01 b2 01 + length. */
const HEAD_ROOM = 16;
/**
 * Largest share of one tick in the buffer fields 1-23 are written to: 11 varint columns of at most
 * 10 bytes and 5 double columns (the fallbacks, volume_real). Indicators go straight to the frame.
 */
const TICK_MAX_BYTES = 11 * 10 + 5 * 8;
/** Output ring column of IndicatorColumns field number f + 1. */
const INDICATOR_COLUMN_OF_FIELD = Array.from({ length: INDICATOR_COUNT }, (_, f) => OUT_F64_IND0 + INDICATOR_FIELD_NUMBERS.indexOf(f + 1));

/**
 * 1 / point as an integer when point is exactly (to the double) the reciprocal of one — 10^-digits
 * as MT5 reports it; 0 otherwise, which makes every non-zero price of that symbol travel as a double.
 */
export function priceScaleOf(point: number): number {
  if (!(point > 0) || !Number.isFinite(point)) return 0;
  const scale = Math.round(1 / point);
  if (scale < 1 || scale > 1e15 || Math.abs(scale * point - 1) > 1e-9) return 0;
  return scale;
}

export class ColumnarEncoder implements TickBatchEncoder {
  count = 0;
  openedAt = 0;
  private readonly ticks: TickSegments;
  private readonly out: ColumnWriter;
  private readonly pass: TickColumnPass;
  private readonly tenant: Uint8Array;
  // The batch's symbol table: batch index of each symbol id (-1: not in this batch) and back.
  private readonly indexOfId = new Int32Array(MAX_SYMBOLS + 1).fill(-1);
  private readonly idOfIndex = new Int32Array(MAX_SYMBOLS + 1);
  private readonly scaleOfIndex = new Float64Array(MAX_SYMBOLS + 1);
  private symbolCount = 0;
  // Per symbol id, read once: ids are never reused and a symbol's point never changes in a run.
  private readonly nameOfId: Uint8Array[] = [];
  private readonly scaleOfId = new Float64Array(MAX_SYMBOLS + 1).fill(-1);
  /** Per batch symbol index: the batch row of its last tick so far (what `latest` mode sends). */
  private readonly lastRow = new Int32Array(MAX_SYMBOLS + 1);

  /**
   * @param symbolNames  the shared symbol-name table (lanes.ts)
   * @param symbolTable  the shared symbol table (lanes.ts), for each symbol's point; without it every
   *                     non-zero price travels as a double
   * @param indicators   per-tick (encoding "columnar") or latest per symbol ("columnar-latest")
   * @param alloc        where sealed frames are allocated (the transport's FramePool); default a new buffer each
   */
  constructor(
    readonly capacity: number,
    private readonly symbolNames: Uint8Array,
    tenantId: string,
    private readonly symbolTable?: Float64Array,
    readonly indicators: IndicatorMode = 'per-tick',
    alloc?: (bytes: number) => Buffer,
  ) {
    this.tenant = new TextEncoder().encode(tenantId);
    this.ticks = new TickSegments(capacity);
    const symbols = Math.min(capacity, MAX_SYMBOLS + 1);
    // Header and symbol table, per-tick columns, and (latest) 13 doubles and an absent word a symbol.
    const bytes = HEAD_ROOM + 256 + this.tenant.length + (MAX_SYMBOLS + 1) * 48 + capacity * TICK_MAX_BYTES + 64 * 32
      + (indicators === 'latest' ? symbols * (INDICATOR_COUNT * 8 + 5) + 64 : 0);
    this.out = new ColumnWriter(bytes, capacity, INDICATOR_COUNT, symbols, this.ticks, alloc);
    this.pass = new TickColumnPass(capacity);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /**
   * Adds up to `max` entries of `ring` to the open batch; returns how many. They stay in the ring,
   * unreleased, until seal().
   */
  takeFrom(ring: SpscRing, max: number): number {
    const taken = this.ticks.takenFrom(ring);
    let n = ring.available() - taken;
    if (n > max) n = max;
    if (n > this.capacity - this.count) n = this.capacity - this.count;
    if (n <= 0) return 0;
    if (this.count === 0) this.openedAt = performance.now();
    const mask = ring.mask;
    const start = (ring.readSequence + taken) | 0;
    const symbol = ring.i32[OUT_I32_SYMBOL];
    const out = this.ticks.symbolIndex;
    const lastRow = this.lastRow;
    const at = this.count;
    for (let i = 0; i < n; i++) {
      const id = symbol[(start + i) & mask];
      let x = this.indexOfId[id];
      if (x < 0) x = this.addSymbol(id);
      out[at + i] = x;
      lastRow[x] = at + i;
    }
    this.ticks.add(ring, start, n);
    this.count += n;
    return n;
  }

  /** Encodes the open batch as batch `sequence`, sealed at `nowMs` (UTC), releases its ticks, and empties it. */
  seal(sequence: number, nowMs: number = Date.now()): Uint8Array {
    const w = this.out;
    const n = this.count;
    const symbols = this.symbolCount;
    w.pos = HEAD_ROOM;
    w.varintField(1, sequence);
    w.varintField(2, nowMs);
    w.bytesField(3, SOURCE);
    if (this.tenant.length > 0) w.bytesField(4, this.tenant);
    w.varintField(5, n);
    for (let x = 0; x < symbols; x++) w.bytesField(6, this.nameOfId[this.idOfIndex[x]]);
    w.uint64Values(7, this.scaleOfIndex, symbols);
    if (n > 0) {
      const pass = this.pass;
      pass.run(this.ticks, this.scaleOfIndex, symbols);
      w.packed(8, pass, COL_SYMBOL_INDEX);
      w.packed(9, pass, COL_TIME);
      w.packed(10, pass, COL_SEQUENCE);
      // Prices: as points where every value of the column is exact, else as doubles (bid and ask together).
      if (pass.pricesInPoints) {
        w.packed(11, pass, COL_BID_POINTS);
        w.packed(12, pass, COL_ASK_MINUS_BID);
      } else {
        w.doubleColumn(13, OUT_F64_BID);
        w.doubleColumn(14, OUT_F64_ASK);
      }
      if (pass.lastInPoints) w.packed(15, pass, COL_LAST_POINTS);
      else w.doubleColumn(16, OUT_F64_LAST);
      w.packed(17, pass, COL_VOLUME);
      if (pass.volumeRealNonZero) w.doubleColumn(18, OUT_F64_VOLUME_REAL);
      w.packed(19, pass, COL_FLAGS);
      w.packed(20, pass, COL_QUALITY);
      if (pass.receivedInQ12) w.packed(21, pass, COL_RECEIVED_Q12);
      else w.doubleColumn(22, OUT_F64_RECV_MS);
    }
    let bytes: Uint8Array;
    if (this.indicators === 'latest') {
      // 25 indicators_latest_absent, 26 indicators_latest (23 and 24 stay empty), the Envelope.
      w.latestIndicators(25, 26, INDICATOR_COLUMN_OF_FIELD, this.lastRow, symbols);
      bytes = w.seal(HEAD_ROOM, 22);
    } else {
      // 23 indicators_absent, 24 indicators, and the Envelope around it all.
      bytes = w.sealWithIndicators(23, 24, INDICATOR_COLUMN_OF_FIELD, HEAD_ROOM, 22);
    }
    this.ticks.release();
    for (let x = 0; x < symbols; x++) this.indexOfId[this.idOfIndex[x]] = -1;
    this.symbolCount = 0;
    this.count = 0;
    return bytes;
  }

  /**
   * Encodes full batches of made-up ticks through a ring of its own (prices as points, and every
   * other round as doubles; indicators absent, then present) so that both paths are compiled before
   * real ticks wait on them. Leaves the batch empty.
   */
  warmUp(rounds: number): void {
    this.nameOfId[WARM_UP_ID] = WARM_UP_NAME;
    this.scaleOfId[WARM_UP_ID] = WARM_UP_PRICE_SCALE;
    warmUpEncoder(this, rounds);
  }

  private addSymbol(id: number): number {
    const x = this.symbolCount++;
    this.indexOfId[id] = x;
    this.idOfIndex[x] = id;
    let scale = this.scaleOfId[id];
    if (scale < 0) {
      this.nameOfId[id] = new TextEncoder().encode(readSymbolName(this.symbolNames, id));
      scale = this.symbolTable === undefined ? 0 : priceScaleOf(this.symbolTable[id * SYM_FIELDS + SYM_POINT]);
      this.scaleOfId[id] = scale;
    }
    this.scaleOfIndex[x] = scale;
    return x;
  }
}
